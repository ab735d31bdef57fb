// What the IAM store keeps, as the rest of Basalt sees it, and the row mappers. Secrets never
// appear here: an access key record has no secret and an API key record only its hash.
import { policyArn, principalArn, type PrincipalType } from "../ids.ts";

/** Whether a model without an explicit setting is usable in an account. */
export type ModelAccessDefault = "enabled" | "disabled";

/** An account (tenant). */
export interface Account {
  id: string;
  name: string;
  defaultModelAccess: ModelAccessDefault;
  createdAt: Date;
}

/** A user or role. */
export interface PrincipalRecord {
  id: string;
  accountId: string;
  type: PrincipalType;
  name: string;
  arn: string;
  createdAt: Date;
}

/** An access key without its secret. */
export interface AccessKeyInfo {
  id: string;
  accountId: string;
  principalId: string;
  status: "Active" | "Inactive";
  createdAt: Date;
}

/** A stored API key: its id and hash only. */
export interface ApiKeyInfo {
  id: string;
  accountId: string;
  principalId: string;
  hash: string;
  status: "Active" | "Inactive";
  expiresAt?: number;
  createdAt: Date;
}

/** A named policy document. */
export interface PolicyRecord {
  id: string;
  accountId: string;
  name: string;
  arn: string;
  /** The document as JSON text, exactly as validated at put time. */
  document: string;
  /** Bumped each time the document is replaced. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** An account's model access: its default plus per-model settings. */
export interface ModelAccess {
  defaultEnabled: boolean;
  /** Model id → enabled, for models set explicitly. */
  overrides: ReadonlyMap<string, boolean>;
}

/** A database row as the driver returns it. */
export type Row = Record<string, unknown>;

const date = (value: unknown): Date => new Date(Number(value));

/** Maps an iam_accounts row. */
export function toAccount(row: Row): Account {
  return {
    id: String(row.id),
    name: String(row.name),
    defaultModelAccess: row.default_model_access === "disabled" ? "disabled" : "enabled",
    createdAt: date(row.created_at),
  };
}

/** Maps an iam_principals row. */
export function toPrincipal(row: Row): PrincipalRecord {
  const type = row.type === "role" ? "role" : "user";
  const accountId = String(row.account_id);
  const name = String(row.name);
  return { id: String(row.id), accountId, type, name, arn: principalArn(accountId, type, name), createdAt: date(row.created_at) };
}

/** Maps an iam_access_keys row (the ciphertext column is left out). */
export function toAccessKey(row: Row): AccessKeyInfo {
  return {
    id: String(row.id),
    accountId: String(row.account_id),
    principalId: String(row.principal_id),
    status: row.status === "Active" ? "Active" : "Inactive",
    createdAt: date(row.created_at),
  };
}

/** Maps an iam_api_keys row. */
export function toApiKey(row: Row): ApiKeyInfo {
  const info: ApiKeyInfo = {
    id: String(row.id),
    accountId: String(row.account_id),
    principalId: String(row.principal_id),
    hash: String(row.hash),
    status: row.status === "Active" ? "Active" : "Inactive",
    createdAt: date(row.created_at),
  };
  if (row.expires_at !== null && row.expires_at !== undefined) info.expiresAt = Number(row.expires_at);
  return info;
}

/** Maps an iam_policies row. */
export function toPolicy(row: Row): PolicyRecord {
  const accountId = String(row.account_id);
  const name = String(row.name);
  return {
    id: String(row.id),
    accountId,
    name,
    arn: policyArn(accountId, name),
    document: String(row.document),
    version: Number(row.version),
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
  };
}

/** Bytes from a BYTEA/BLOB column (Buffer on both engines). */
export function bytes(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new Error("Expected a binary column value.");
}
