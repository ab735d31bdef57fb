// Guardrails as the APIs use them: the control plane's store, and compiled versions for the
// runtime. A compiled version is cached and reused while its stored row is unchanged (one cheap
// read per use, so an UpdateGuardrail on another node is seen at once).
import type { ModelRegistry } from "../models/registry.ts";
import type { EnvelopeEncryption } from "../store/crypto/envelope-encryption.ts";
import type { Database } from "../store/db/database.ts";
import { BasaltError, validation } from "../spec/errors.ts";
import { compileGuardrail, DetectorResolver } from "./engine/compile.ts";
import type { CompiledGuardrail } from "./engine/apply.ts";
import { GUARDRAIL_ID_PATTERN, GuardrailStore } from "./store/guardrail-store.ts";

/** `guardrailIdentifier`: an id, or the guardrail's ARN. */
const ARN_PATTERN = /^arn:aws(?:-[^:]+)?:bedrock:[a-z0-9-]{1,20}:([0-9]{12}):guardrail\/([a-z0-9]+)$/;
/** `guardrailVersion`: DRAFT or a positive number. */
export const GUARDRAIL_VERSION_PATTERN = /^(?:[1-9][0-9]{0,7}|DRAFT)$/;
/** Compiled versions kept per process. */
const CACHE_LIMIT = 256;

/** Where an identifier points: the guardrail's id (and the account its ARN names, if any). */
export function parseGuardrailIdentifier(identifier: string, field = "guardrailIdentifier"): { id: string; accountId?: string } {
  const arn = ARN_PATTERN.exec(identifier);
  if (arn) return { id: arn[2]!, accountId: arn[1]! };
  if (!GUARDRAIL_ID_PATTERN.test(identifier)) throw validation(field, "Member must satisfy regular expression pattern: (([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+))");
  return { id: identifier };
}

/** Checks a `guardrailVersion`. */
export function parseGuardrailVersion(version: string, field = "guardrailVersion"): string {
  if (!GUARDRAIL_VERSION_PATTERN.test(version)) throw validation(field, "Member must satisfy regular expression pattern: (([1-9][0-9]{0,7})|(DRAFT))");
  return version;
}

/** The guardrails of every account on this server. */
export class GuardrailService {
  readonly store: GuardrailStore;
  private readonly detectors: DetectorResolver;
  private readonly cache = new Map<string, { stamp: number; compiled: CompiledGuardrail }>();

  constructor(options: { db: Database; registry: ModelRegistry; encryption: EnvelopeEncryption; now?: () => number }) {
    this.store = new GuardrailStore({ db: options.db, encryption: options.encryption, now: options.now });
    this.detectors = new DetectorResolver(options.registry);
  }

  /** The compiled version a runtime call names; ResourceNotFoundException when it does not exist in the account. */
  async resolve(accountId: string, identifier: string, version: string): Promise<CompiledGuardrail> {
    const { id, accountId: named } = parseGuardrailIdentifier(identifier);
    parseGuardrailVersion(version);
    if (named !== undefined && named !== accountId) throw new BasaltError("NOT_FOUND", `The guardrail ${identifier} does not exist.`);
    const key = `${accountId}/${id}/${version}`;
    const stamp = await this.store.stamp(accountId, id, version);
    if (stamp === undefined) {
      this.cache.delete(key);
      throw new BasaltError("NOT_FOUND", version === "DRAFT" ? `The guardrail ${identifier} does not exist.` : `The guardrail ${identifier} has no version ${version}.`);
    }
    const cached = this.cache.get(key);
    if (cached && cached.stamp === stamp) {
      // The compiled copy came from a sealed configuration: with the account's key unusable, it is not used either.
      await this.store.assertKeyUsable(accountId);
      return cached.compiled;
    }
    const record = await this.store.get(accountId, id, version);
    const compiled = compileGuardrail(id, version, record.config, this.detectors);
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { stamp: record.updatedAt, compiled });
    return compiled;
  }

  /** Builds a configuration's policies without storing anything: the control plane's last check (a judge model must exist). */
  check(config: Parameters<typeof compileGuardrail>[2]): void {
    compileGuardrail("check", "DRAFT", config, this.detectors);
  }
}
