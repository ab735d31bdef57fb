// The IAM store: accounts, users and roles, credentials, policies and model access over the
// metadata database. Access key secrets and each account's API key pepper are encrypted under
// the owning account's data key; API keys are kept as hashes only. Every method that takes an
// account id reads and writes inside that account alone (docs/decisions/0013-iam-wiring.md).
import { randomBytes } from "node:crypto";
import { BasaltError } from "../../spec/errors.ts";
import type { Database } from "../../store/db/database.ts";
import type { EnvelopeEncryption } from "../../store/crypto/envelope-encryption.ts";
import { generateAccessKeyPair, type AccessKeyPair } from "../access-keys.ts";
import { generateApiKey, parseApiKey } from "../api-keys.ts";
import { checkAccountId, checkName, newAccountId, uniqueId, type PrincipalType } from "../ids.ts";
import { parsePolicy } from "../policy/parse.ts";
import * as accounts from "./accounts.ts";
import * as credentials from "./credentials.ts";
import * as policies from "./policies.ts";
import * as principals from "./principals.ts";
import type { AccessKeyInfo, Account, ApiKeyInfo, ModelAccess, ModelAccessDefault, PolicyRecord, PrincipalRecord } from "./records.ts";

/** Options of {@link IamStore}. */
export interface IamStoreOptions {
  db: Database;
  encryption: EnvelopeEncryption;
  now?: () => number;
}

/** A freshly issued API key: `key` is shown once and never stored. */
export interface IssuedKey {
  id: string;
  key: string;
  expiresAt?: number;
}

const PEPPER_CONTEXT = "iam/api-key-pepper";
const accessKeyContext = (id: string) => `iam/access-key/${id}`;

const notFound = (what: string, id: string) => new BasaltError("NOT_FOUND", `The ${what} ${id} does not exist in this account.`);

/** Persistent IAM state. */
export class IamStore {
  readonly db: Database;
  private readonly encryption: EnvelopeEncryption;
  private readonly now: () => number;

  constructor(options: IamStoreOptions) {
    this.db = options.db;
    this.encryption = options.encryption;
    this.now = options.now ?? Date.now;
  }

  /** Creates an account (a new 12-digit id unless `id` is given); with `id`, an existing account is returned as is. */
  async createAccount(options: { id?: string; name: string; defaultModelAccess: ModelAccessDefault }): Promise<Account> {
    const id = options.id === undefined ? newAccountId() : checkAccountId(options.id);
    if (options.id !== undefined) {
      const existing = await accounts.findAccount(this.db, id);
      if (existing) return existing.account;
    }
    const pepper = randomBytes(32);
    const pepperCiphertext = await this.encryption.encrypt(id, pepper, PEPPER_CONTEXT);
    pepper.fill(0);
    const account = { id, name: options.name, defaultModelAccess: options.defaultModelAccess };
    if (!(await accounts.insertAccount(this.db, { ...account, pepperCiphertext }, this.now()))) {
      if (options.id !== undefined) return this.getAccount(id); // created concurrently
      throw new BasaltError("CONFLICT", `Account ${id} already exists; try again.`);
    }
    return { ...account, createdAt: new Date(this.now()) };
  }

  /** An account, or NOT_FOUND. */
  async getAccount(id: string): Promise<Account> {
    const found = await accounts.findAccount(this.db, id);
    if (!found) throw new BasaltError("NOT_FOUND", `The account ${id} does not exist.`);
    return found.account;
  }

  /** Every account. */
  listAccounts(): Promise<Account[]> {
    return accounts.listAccounts(this.db);
  }

  /** Creates a user or role in an existing account. */
  async createPrincipal(accountId: string, type: PrincipalType, name: string): Promise<PrincipalRecord> {
    checkName(type, name);
    await this.getAccount(accountId);
    const id = uniqueId(type === "user" ? "AIDA" : "AROA");
    if (!(await principals.insertPrincipal(this.db, { id, accountId, type, name }, this.now()))) {
      throw new BasaltError("CONFLICT", `A ${type} named ${name} already exists in account ${accountId}.`);
    }
    return (await principals.findPrincipalById(this.db, accountId, id))!;
  }

  /** A user or role of the account by name, or NOT_FOUND (also for another account's names). */
  async getPrincipal(accountId: string, type: PrincipalType, name: string): Promise<PrincipalRecord> {
    const found = await principals.findPrincipalByName(this.db, accountId, type, name);
    if (!found) throw new BasaltError("NOT_FOUND", `The ${type} with name ${name} cannot be found in account ${accountId}.`);
    return found;
  }

  /** A user or role of the account by id; undefined for unknown ids and other accounts' ids. */
  findPrincipalById(accountId: string, id: string): Promise<PrincipalRecord | undefined> {
    return principals.findPrincipalById(this.db, accountId, id);
  }

  /** The account's users or roles. */
  listPrincipals(accountId: string, type: PrincipalType): Promise<PrincipalRecord[]> {
    return principals.listPrincipals(this.db, accountId, type);
  }

  /** Issues an access key pair; the secret is returned here once and stored only encrypted. */
  async createAccessKey(principal: PrincipalRecord): Promise<AccessKeyPair> {
    const pair = generateAccessKeyPair();
    const ciphertext = await this.encryption.encrypt(principal.accountId, pair.secretAccessKey, accessKeyContext(pair.accessKeyId));
    await credentials.insertAccessKey(this.db, { id: pair.accessKeyId, accountId: principal.accountId, principalId: principal.id }, ciphertext, this.now());
    return pair;
  }

  /** The secret of an active access key, decrypted for SigV4; undefined when unknown or inactive. */
  async accessKeySecret(accessKeyId: string): Promise<{ key: AccessKeyInfo; secret: string } | undefined> {
    const found = await credentials.findActiveAccessKey(this.db, accessKeyId);
    if (!found) return undefined;
    const secret = await this.encryption.decrypt(found.key.accountId, found.ciphertext, accessKeyContext(accessKeyId));
    return { key: found.key, secret: secret.toString("utf8") };
  }

  /** Issues a bearer API key; the key is returned here once and only its hash is stored. */
  async createApiKey(principal: PrincipalRecord, options: { expiresAt?: number } = {}): Promise<IssuedKey> {
    const pepper = await this.pepper(principal.accountId);
    const issued = generateApiKey(pepper);
    pepper.fill(0);
    await credentials.insertApiKey(
      this.db,
      { id: issued.id, accountId: principal.accountId, principalId: principal.id, hash: issued.hash, expiresAt: options.expiresAt },
      this.now(),
    );
    return { id: issued.id, key: issued.key, expiresAt: options.expiresAt };
  }

  /** An active API key's stored hash and its account's pepper, for bearer verification. */
  async apiKeyForAuth(key: string): Promise<{ info: ApiKeyInfo; pepper: Buffer } | undefined> {
    const parsed = parseApiKey(key);
    if (!parsed) return undefined;
    const info = await credentials.findActiveApiKey(this.db, parsed.id);
    if (!info) return undefined;
    return { info, pepper: await this.pepper(info.accountId) };
  }

  /** The access keys of a principal (no secrets). */
  listAccessKeys(principal: PrincipalRecord): Promise<AccessKeyInfo[]> {
    return credentials.listAccessKeys(this.db, principal.accountId, principal.id);
  }

  /** The API keys of a principal (hashes only). */
  listApiKeys(principal: PrincipalRecord): Promise<ApiKeyInfo[]> {
    return credentials.listApiKeys(this.db, principal.accountId, principal.id);
  }

  /** Activates or deactivates an access key of the account (UpdateAccessKey); NOT_FOUND for another account's or an unknown key. */
  async setAccessKeyStatus(accountId: string, accessKeyId: string, status: "Active" | "Inactive"): Promise<void> {
    if (!(await credentials.setAccessKeyStatus(this.db, accountId, accessKeyId, status))) throw notFound("access key", accessKeyId);
  }

  /** Deletes an access key of the account (DeleteAccessKey). */
  async deleteAccessKey(accountId: string, accessKeyId: string): Promise<void> {
    if (!(await credentials.deleteAccessKey(this.db, accountId, accessKeyId))) throw notFound("access key", accessKeyId);
  }

  /** Activates or deactivates an API key of the account. */
  async setApiKeyStatus(accountId: string, apiKeyId: string, status: "Active" | "Inactive"): Promise<void> {
    if (!(await credentials.setApiKeyStatus(this.db, accountId, apiKeyId, status))) throw notFound("API key", apiKeyId);
  }

  /** Deletes an API key of the account. */
  async deleteApiKey(accountId: string, apiKeyId: string): Promise<void> {
    if (!(await credentials.deleteApiKey(this.db, accountId, apiKeyId))) throw notFound("API key", apiKeyId);
  }

  /**
   * Deletes a user or role. As IAM's DeleteUser, a principal that still has credentials or
   * attached policies is refused (CONFLICT) unless `force` deletes those with it.
   */
  async deletePrincipal(principal: PrincipalRecord, options: { force?: boolean } = {}): Promise<{ credentials: number; policies: number }> {
    return this.db.transaction(async (tx) => {
      const keys = (await credentials.listAccessKeys(tx, principal.accountId, principal.id)).length + (await credentials.listApiKeys(tx, principal.accountId, principal.id)).length;
      const attached = (await policies.attachedPolicies(tx, principal.accountId, principal.id)).length;
      if ((keys > 0 || attached > 0) && !options.force) {
        throw new BasaltError(
          "CONFLICT",
          `Cannot delete ${principal.type} ${principal.name}: it has ${keys} credential(s) and ${attached} attached policy(ies). Delete those first, or force.`,
        );
      }
      await credentials.deletePrincipalCredentials(tx, principal.accountId, principal.id);
      await principals.deletePrincipal(tx, principal.accountId, principal.id);
      return { credentials: keys, policies: attached };
    });
  }

  /** Whether any credential exists; with none, the server serves anonymously on loopback only. */
  hasCredentials(): Promise<boolean> {
    return credentials.anyActiveCredential(this.db);
  }

  /** Validates and stores a named policy document (replacing one of the same name). */
  async putPolicy(accountId: string, name: string, document: unknown): Promise<{ policy: PolicyRecord; warnings: string[] }> {
    checkName("policy", name);
    await this.getAccount(accountId);
    const parsed = parsePolicy(name, document);
    if (!parsed.ok) throw new BasaltError("VALIDATION", `The policy document ${name} is invalid:\n  ${parsed.errors.join("\n  ")}`);
    const text = typeof document === "string" ? document : JSON.stringify(document);
    const policy = await policies.upsertPolicy(this.db, { id: uniqueId("ANPA"), accountId, name, document: text }, this.now());
    return { policy, warnings: parsed.warnings };
  }

  /** The account's policy by name, or NOT_FOUND (also for another account's policies). */
  async getPolicy(accountId: string, name: string): Promise<PolicyRecord> {
    const found = await policies.findPolicy(this.db, accountId, name);
    if (!found) throw new BasaltError("NOT_FOUND", `The policy with name ${name} cannot be found in account ${accountId}.`);
    return found;
  }

  /** Every policy of the account. */
  listPolicies(accountId: string): Promise<PolicyRecord[]> {
    return policies.listPolicies(this.db, accountId);
  }

  /** Attaches the account's policy `name` to one of the account's principals. */
  async attachPolicy(principal: PrincipalRecord, policyName: string): Promise<PolicyRecord> {
    const policy = await this.getPolicy(principal.accountId, policyName);
    await policies.insertAttachment(this.db, { accountId: principal.accountId, policyId: policy.id, principalId: principal.id }, this.now());
    return policy;
  }

  /** The policies attached to a principal. */
  policiesOf(principal: Pick<PrincipalRecord, "accountId" | "id">): Promise<PolicyRecord[]> {
    return policies.attachedPolicies(this.db, principal.accountId, principal.id);
  }

  /** Enables or disables a model for an existing account. */
  async setModelAccess(accountId: string, modelId: string, enabled: boolean): Promise<void> {
    await this.getAccount(accountId);
    await accounts.setModelAccess(this.db, accountId, modelId, enabled, this.now());
  }

  /** An account's model access; `fallback` is the default of an account with no row yet. */
  modelAccess(accountId: string, fallback: ModelAccessDefault): Promise<ModelAccess> {
    return accounts.loadModelAccess(this.db, accountId, fallback);
  }

  private async pepper(accountId: string): Promise<Buffer> {
    const found = await accounts.findAccount(this.db, accountId);
    if (!found) throw new BasaltError("NOT_FOUND", `The account ${accountId} does not exist.`);
    return this.encryption.decrypt(accountId, found.pepperCiphertext, PEPPER_CONTEXT);
  }
}
