// SQL of access keys and API keys. Lookups by key id are the one place that reads across
// accounts: a credential is what establishes the account, so it is found by its id alone.
import type { Queryable } from "../../store/db/database.ts";
import { bytes, toAccessKey, toApiKey, type AccessKeyInfo, type ApiKeyInfo, type Row } from "./records.ts";

/** Inserts an access key with its encrypted secret. */
export async function insertAccessKey(db: Queryable, key: Omit<AccessKeyInfo, "createdAt" | "status">, ciphertext: Uint8Array, now: number): Promise<void> {
  await db.execute(
    `INSERT INTO iam_access_keys (id, account_id, principal_id, secret_ciphertext, status, created_at) VALUES ($1, $2, $3, $4, 'Active', $5)`,
    [key.id, key.accountId, key.principalId, ciphertext, now],
  );
}

/** An active access key and its encrypted secret, for SigV4 verification. */
export async function findActiveAccessKey(db: Queryable, id: string): Promise<{ key: AccessKeyInfo; ciphertext: Buffer } | undefined> {
  const [row] = await db.query<Row>("SELECT * FROM iam_access_keys WHERE id = $1 AND status = 'Active'", [id]);
  return row ? { key: toAccessKey(row), ciphertext: bytes(row.secret_ciphertext) } : undefined;
}

/** The access keys of one principal of the account (no secrets). */
export async function listAccessKeys(db: Queryable, accountId: string, principalId: string): Promise<AccessKeyInfo[]> {
  const rows = await db.query<Row>(
    "SELECT id, account_id, principal_id, status, created_at FROM iam_access_keys WHERE account_id = $1 AND principal_id = $2 ORDER BY created_at, id",
    [accountId, principalId],
  );
  return rows.map(toAccessKey);
}

/** Inserts an API key's hash. */
export async function insertApiKey(db: Queryable, key: Omit<ApiKeyInfo, "createdAt" | "status">, now: number): Promise<void> {
  await db.execute(
    `INSERT INTO iam_api_keys (id, account_id, principal_id, hash, status, expires_at, created_at) VALUES ($1, $2, $3, $4, 'Active', $5, $6)`,
    [key.id, key.accountId, key.principalId, key.hash, key.expiresAt ?? null, now],
  );
}

/** An active API key by id, for bearer verification. */
export async function findActiveApiKey(db: Queryable, id: string): Promise<ApiKeyInfo | undefined> {
  const [row] = await db.query<Row>("SELECT * FROM iam_api_keys WHERE id = $1 AND status = 'Active'", [id]);
  return row ? toApiKey(row) : undefined;
}

/** The API keys of one principal of the account (hashes only). */
export async function listApiKeys(db: Queryable, accountId: string, principalId: string): Promise<ApiKeyInfo[]> {
  const rows = await db.query<Row>("SELECT * FROM iam_api_keys WHERE account_id = $1 AND principal_id = $2 ORDER BY created_at, id", [accountId, principalId]);
  return rows.map(toApiKey);
}

/** Whether any account holds an active credential (expired API keys count: they were issued). */
export async function anyActiveCredential(db: Queryable): Promise<boolean> {
  const rows = await db.query<Row>(
    `SELECT 1 AS found FROM iam_access_keys WHERE status = 'Active'
     UNION ALL SELECT 1 AS found FROM iam_api_keys WHERE status = 'Active'
     LIMIT 1`,
  );
  return rows.length > 0;
}

/** Sets an access key of the account Active or Inactive; false when the account has no such key. */
export async function setAccessKeyStatus(db: Queryable, accountId: string, id: string, status: "Active" | "Inactive"): Promise<boolean> {
  return (await db.execute("UPDATE iam_access_keys SET status = $1 WHERE id = $2 AND account_id = $3", [status, id, accountId])).changes > 0;
}

/** Deletes an access key of the account; false when the account has no such key. */
export async function deleteAccessKey(db: Queryable, accountId: string, id: string): Promise<boolean> {
  return (await db.execute("DELETE FROM iam_access_keys WHERE id = $1 AND account_id = $2", [id, accountId])).changes > 0;
}

/** Sets an API key of the account Active or Inactive; false when the account has no such key. */
export async function setApiKeyStatus(db: Queryable, accountId: string, id: string, status: "Active" | "Inactive"): Promise<boolean> {
  return (await db.execute("UPDATE iam_api_keys SET status = $1 WHERE id = $2 AND account_id = $3", [status, id, accountId])).changes > 0;
}

/** Deletes an API key of the account; false when the account has no such key. */
export async function deleteApiKey(db: Queryable, accountId: string, id: string): Promise<boolean> {
  return (await db.execute("DELETE FROM iam_api_keys WHERE id = $1 AND account_id = $2", [id, accountId])).changes > 0;
}

/** Deletes every credential of a principal; returns how many went. */
export async function deletePrincipalCredentials(db: Queryable, accountId: string, principalId: string): Promise<number> {
  const keys = await db.execute("DELETE FROM iam_access_keys WHERE account_id = $1 AND principal_id = $2", [accountId, principalId]);
  const apiKeys = await db.execute("DELETE FROM iam_api_keys WHERE account_id = $1 AND principal_id = $2", [accountId, principalId]);
  return keys.changes + apiKeys.changes;
}
