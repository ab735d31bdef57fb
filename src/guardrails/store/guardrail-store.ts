// Guardrails and their versions in the metadata store. Every statement names the account it
// reads or writes in: another account's guardrail is simply not found. The DRAFT is the only
// version that changes; numbered versions are immutable copies of it. A version's configuration
// (denied topics, word lists, blocked messages: the customer's own text) is sealed by the
// account's envelope encryption, bound to the guardrail and version (decision 0025); rows an
// earlier version stored in the clear are still read, and sealed by sealPlaintextConfigs.
import { randomInt } from "node:crypto";
import type { EnvelopeEncryption } from "../../store/crypto/envelope-encryption.ts";
import { isSealedText, openText, sealText } from "../../store/crypto/sealed-text.ts";
import type { Database, Queryable } from "../../store/db/database.ts";
import { decodePageToken, encodePageToken } from "../../store/paging.ts";
import { BasaltError } from "../../spec/errors.ts";
import type { GuardrailConfig } from "../guardrail.ts";

/** Bedrock's guardrail statuses; Basalt's operations are synchronous, so a guardrail is READY once a call returns. */
export type GuardrailStatus = "CREATING" | "UPDATING" | "VERSIONING" | "READY" | "FAILED" | "DELETING";

/** A tag as the control plane carries it. */
export interface Tag {
  key: string;
  value: string;
}

/** One version of a guardrail, with the guardrail's identity. */
export interface GuardrailVersionRecord {
  id: string;
  accountId: string;
  name: string;
  status: GuardrailStatus;
  /** `DRAFT` or a number as a string. */
  version: string;
  config: GuardrailConfig;
  /** The version's own description (CreateGuardrailVersion), else the configuration's. */
  description?: string;
  tags: Tag[];
  createdAt: number;
  updatedAt: number;
}

/** A page of a list. */
export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/** Limits Bedrock documents as service quotas. */
export const GUARDRAIL_LIMITS = { guardrailsPerAccount: 100, versionsPerGuardrail: 20 } as const;

/** Guardrail ids: twelve lower-case letters and digits, as Bedrock's (`^[a-z0-9]+$`). */
export const GUARDRAIL_ID_PATTERN = /^[a-z0-9]{1,64}$/;
const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

function newGuardrailId(): string {
  let id = "";
  for (let i = 0; i < 12; i++) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}

interface Row {
  id: string;
  account_id: string;
  name: string;
  status: string;
  tags: string;
  g_created_at: number | string;
  version: string;
  config: string;
  version_description: string | null;
  created_at: number | string;
  updated_at: number | string;
}

const SELECT_VERSION = `SELECT g.id, g.account_id, g.name, g.status, g.tags, g.created_at AS g_created_at,
  v.version, v.config, v.version_description, v.created_at, v.updated_at
  FROM guardrails g JOIN guardrail_versions v ON v.guardrail_id = g.id`;

function toRecord(row: Row, config: GuardrailConfig): GuardrailVersionRecord {
  const description = row.version_description ?? config.description;
  return {
    id: row.id,
    accountId: row.account_id,
    name: config.name,
    status: row.status as GuardrailStatus,
    version: row.version,
    config,
    ...(description !== undefined ? { description } : {}),
    tags: JSON.parse(row.tags) as Tag[],
    // A numbered version was created when it was cut; the DRAFT when the guardrail was.
    createdAt: Number(row.version === "DRAFT" ? row.g_created_at : row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** A sealed configuration opens only as the version it was written for: a copy moved to another row fails. */
function configContext(id: string, version: string): string {
  return `basalt:guardrail/${id}/${version}/config`;
}

/** What key checks are sealed for: nothing a stored row holds. */
const KEY_CHECK_CONTEXT = "basalt:guardrail/key-check";

function notFound(id: string, version?: string): BasaltError {
  return new BasaltError("NOT_FOUND", version && version !== "DRAFT" ? `The guardrail ${id} has no version ${version}.` : `The guardrail ${id} does not exist.`);
}

/** Options of a {@link GuardrailStore}. */
export interface GuardrailStoreOptions {
  db: Database;
  /** Seals configurations; the same envelope encryption as every other store. */
  encryption: EnvelopeEncryption;
  now?: () => number;
}

/** The control plane's persistence for guardrails. */
export class GuardrailStore {
  private readonly db: Database;
  private readonly encryption: EnvelopeEncryption;
  private readonly now: () => number;
  /** Per account, a sealed empty value that {@link assertKeyUsable} opens. */
  private readonly keyChecks = new Map<string, Buffer>();

  constructor(options: GuardrailStoreOptions) {
    this.db = options.db;
    this.encryption = options.encryption;
    this.now = options.now ?? Date.now;
  }

  private seal(accountId: string, id: string, version: string, config: GuardrailConfig): Promise<string> {
    return sealText(this.encryption, { accountId, context: configContext(id, version), plaintext: JSON.stringify(config) });
  }

  private async open(row: Row): Promise<GuardrailConfig> {
    // A configuration stored in the clear by an earlier version (always a JSON object) is read as
    // it is until sealPlaintextConfigs seals it; anything else must open.
    if (!isSealedText(row.config) && row.config.startsWith("{")) return JSON.parse(row.config) as GuardrailConfig;
    return JSON.parse(await openText(this.encryption, { accountId: row.account_id, context: configContext(row.id, row.version), sealed: row.config })) as GuardrailConfig;
  }

  /**
   * Throws KEY_UNAVAILABLE unless the account's key can be used right now. For callers that keep
   * something built from a configuration in memory (compiled guardrails): they fail closed too.
   */
  async assertKeyUsable(accountId: string): Promise<void> {
    let sealed = this.keyChecks.get(accountId);
    if (!sealed) {
      sealed = await this.encryption.encrypt(accountId, "", KEY_CHECK_CONTEXT);
      this.keyChecks.set(accountId, sealed);
    }
    await this.encryption.decrypt(accountId, sealed, KEY_CHECK_CONTEXT);
  }

  /**
   * Seals every configuration an earlier version stored in the clear; returns how many. A row
   * changed meanwhile is left to its writer, who sealed it. Safe to run while serving.
   */
  async sealPlaintextConfigs(): Promise<number> {
    const rows = await this.db.query<{ id: string; account_id: string; version: string; config: string }>(
      "SELECT v.guardrail_id AS id, g.account_id, v.version, v.config FROM guardrail_versions v JOIN guardrails g ON g.id = v.guardrail_id WHERE v.config NOT LIKE 'bslt:%'",
    );
    let sealed = 0;
    for (const row of rows) {
      const config = JSON.parse(row.config) as GuardrailConfig;
      const { changes } = await this.db.execute("UPDATE guardrail_versions SET config = $3 WHERE guardrail_id = $1 AND version = $2 AND config = $4", [
        row.id,
        row.version,
        await this.seal(row.account_id, row.id, row.version, config),
        row.config,
      ]);
      sealed += changes;
    }
    return sealed;
  }

  /** Creates a guardrail with its DRAFT; ConflictException when the account already has the name. */
  async create(accountId: string, config: GuardrailConfig, tags: Tag[]): Promise<GuardrailVersionRecord> {
    const id = newGuardrailId();
    const now = this.now();
    const sealed = await this.seal(accountId, id, "DRAFT", config);
    await this.db.transaction(async (tx) => {
      const [count] = await tx.query<{ n: number | string }>("SELECT COUNT(*) AS n FROM guardrails WHERE account_id = $1", [accountId]);
      if (Number(count?.n ?? 0) >= GUARDRAIL_LIMITS.guardrailsPerAccount) {
        throw new BasaltError("SERVICE_QUOTA_EXCEEDED", `An account may have at most ${GUARDRAIL_LIMITS.guardrailsPerAccount} guardrails.`);
      }
      const { changes } = await tx.execute(
        "INSERT INTO guardrails (id, account_id, name, status, tags, created_at, updated_at) VALUES ($1, $2, $3, 'READY', $4, $5, $5) ON CONFLICT DO NOTHING",
        [id, accountId, config.name, JSON.stringify(tags), now],
      );
      if (changes !== 1) throw new BasaltError("CONFLICT", `A guardrail named ${config.name} already exists in this account.`);
      await tx.execute("INSERT INTO guardrail_versions (guardrail_id, version, number, config, created_at, updated_at) VALUES ($1, 'DRAFT', 0, $2, $3, $3)", [id, sealed, now]);
    });
    return this.get(accountId, id, "DRAFT");
  }

  /** One version (DRAFT by default); ResourceNotFoundException when absent. */
  async get(accountId: string, id: string, version = "DRAFT"): Promise<GuardrailVersionRecord> {
    const record = await this.find(this.db, accountId, id, version);
    if (!record) throw notFound(id, version);
    return record;
  }

  /** When a version last changed (undefined when it does not exist): a cheap check for caches. */
  async stamp(accountId: string, id: string, version: string): Promise<number | undefined> {
    const [row] = await this.db.query<{ updated_at: number | string }>(
      "SELECT v.updated_at FROM guardrails g JOIN guardrail_versions v ON v.guardrail_id = g.id WHERE g.account_id = $1 AND g.id = $2 AND v.version = $3",
      [accountId, id, version],
    );
    return row ? Number(row.updated_at) : undefined;
  }

  private async find(db: Queryable, accountId: string, id: string, version: string): Promise<GuardrailVersionRecord | undefined> {
    const [row] = await db.query<Row>(`${SELECT_VERSION} WHERE g.account_id = $1 AND g.id = $2 AND v.version = $3`, [accountId, id, version]);
    return row ? toRecord(row, await this.open(row)) : undefined;
  }

  /** Replaces the DRAFT's configuration (UpdateGuardrail); ConflictException when the new name is taken. */
  async update(accountId: string, id: string, config: GuardrailConfig, tags?: Tag[]): Promise<GuardrailVersionRecord> {
    const now = this.now();
    const sealed = await this.seal(accountId, id, "DRAFT", config);
    await this.db.transaction(async (tx) => {
      if (!(await this.find(tx, accountId, id, "DRAFT"))) throw notFound(id);
      const clash = await tx.query("SELECT 1 AS taken FROM guardrails WHERE account_id = $1 AND name = $2 AND id <> $3", [accountId, config.name, id]);
      if (clash.length > 0) throw new BasaltError("CONFLICT", `A guardrail named ${config.name} already exists in this account.`);
      await tx.execute("UPDATE guardrails SET name = $3, updated_at = $4 WHERE account_id = $1 AND id = $2", [accountId, id, config.name, now]);
      if (tags) await tx.execute("UPDATE guardrails SET tags = $3 WHERE account_id = $1 AND id = $2", [accountId, id, JSON.stringify(tags)]);
      // updated_at always moves forward, even for two updates in one millisecond: caches compare it.
      await tx.execute(
        "UPDATE guardrail_versions SET config = $2, updated_at = CASE WHEN $3 > updated_at THEN $3 ELSE updated_at + 1 END WHERE guardrail_id = $1 AND version = 'DRAFT'",
        [id, sealed, now],
      );
    });
    return this.get(accountId, id, "DRAFT");
  }

  /**
   * Copies the DRAFT to the next numbered version. A repeated client token returns the version it
   * created the first time instead of cutting another.
   */
  async createVersion(accountId: string, id: string, options: { description?: string; clientToken?: string } = {}): Promise<GuardrailVersionRecord> {
    const now = this.now();
    const version = await this.db.transaction(async (tx) => {
      const draft = await this.find(tx, accountId, id, "DRAFT");
      if (!draft) throw notFound(id);
      if (options.clientToken) {
        const [same] = await tx.query<{ version: string }>("SELECT version FROM guardrail_versions WHERE guardrail_id = $1 AND client_token = $2", [id, options.clientToken]);
        if (same) return same.version;
      }
      const [count] = await tx.query<{ n: number | string }>("SELECT COUNT(*) AS n FROM guardrail_versions WHERE guardrail_id = $1 AND version <> 'DRAFT'", [id]);
      if (Number(count?.n ?? 0) >= GUARDRAIL_LIMITS.versionsPerGuardrail) {
        throw new BasaltError("SERVICE_QUOTA_EXCEEDED", `A guardrail may have at most ${GUARDRAIL_LIMITS.versionsPerGuardrail} versions; delete one first.`);
      }
      const [row] = await tx.query<{ last_version: number | string }>("UPDATE guardrails SET last_version = last_version + 1, updated_at = $3 WHERE account_id = $1 AND id = $2 RETURNING last_version", [
        accountId,
        id,
        now,
      ]);
      const number = Number(row?.last_version);
      await tx.execute(
        "INSERT INTO guardrail_versions (guardrail_id, version, number, config, version_description, client_token, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        [id, String(number), number, await this.seal(accountId, id, String(number), draft.config), options.description ?? null, options.clientToken ?? null, now],
      );
      return String(number);
    });
    return this.get(accountId, id, version);
  }

  /** Deletes one numbered version, or (version absent or DRAFT) the whole guardrail. */
  async delete(accountId: string, id: string, version?: string): Promise<void> {
    if (version === undefined || version === "DRAFT") {
      const { changes } = await this.db.execute("DELETE FROM guardrails WHERE account_id = $1 AND id = $2", [accountId, id]);
      if (changes !== 1) throw notFound(id);
      return;
    }
    await this.db.transaction(async (tx) => {
      if (!(await this.find(tx, accountId, id, version))) throw notFound(id, version);
      await tx.execute("DELETE FROM guardrail_versions WHERE guardrail_id = $1 AND version = $2", [id, version]);
    });
  }

  /**
   * ListGuardrails: without an id, the DRAFT of every guardrail in the account; with one, every
   * version of that guardrail (DRAFT first, then by number).
   */
  async list(accountId: string, options: { id?: string; maxResults: number; nextToken?: string }): Promise<Page<GuardrailVersionRecord>> {
    const scope = options.id ? `guardrail-versions:${options.id}` : "guardrails";
    let rows: Row[];
    if (options.id) {
      const [after] = options.nextToken ? decodePageToken(scope, options.nextToken, ["number"]) : [-1];
      rows = await this.db.query<Row>(`${SELECT_VERSION} WHERE g.account_id = $1 AND g.id = $2 AND v.number > $3 ORDER BY v.number LIMIT $4`, [
        accountId,
        options.id,
        Number(after),
        options.maxResults + 1,
      ]);
      if (rows.length === 0 && !options.nextToken && !(await this.find(this.db, accountId, options.id, "DRAFT"))) throw notFound(options.id);
    } else {
      const [createdAt, id] = options.nextToken ? decodePageToken(scope, options.nextToken, ["number", "string"]) : [-1, ""];
      rows = await this.db.query<Row>(
        `${SELECT_VERSION} WHERE g.account_id = $1 AND v.version = 'DRAFT' AND (g.created_at > $2 OR (g.created_at = $2 AND g.id > $3)) ORDER BY g.created_at, g.id LIMIT $4`,
        [accountId, Number(createdAt), String(id), options.maxResults + 1],
      );
    }
    const items = await Promise.all(rows.slice(0, options.maxResults).map(async (row) => toRecord(row, await this.open(row))));
    const last = items.at(-1);
    const more = rows.length > options.maxResults && last !== undefined;
    const key = options.id ? [last?.version === "DRAFT" ? 0 : Number(last?.version)] : [last?.createdAt ?? 0, last?.id ?? ""];
    return { items, ...(more ? { nextToken: encodePageToken(scope, key) } : {}) };
  }
}
