// SQL of accounts and their model access. Every read names the account it reads from.
import type { Queryable } from "../../store/db/database.ts";
import { bytes, toAccount, type Account, type ModelAccess, type ModelAccessDefault, type Row } from "./records.ts";

/** A new account row; the pepper arrives already encrypted. */
export interface NewAccount {
  id: string;
  name: string;
  defaultModelAccess: ModelAccessDefault;
  pepperCiphertext: Uint8Array;
}

/** Inserts an account; false when the id is taken. */
export async function insertAccount(db: Queryable, account: NewAccount, now: number): Promise<boolean> {
  const { changes } = await db.execute(
    `INSERT INTO iam_accounts (id, name, default_model_access, api_key_pepper, created_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (id) DO NOTHING`,
    [account.id, account.name, account.defaultModelAccess, account.pepperCiphertext, now],
  );
  return changes === 1;
}

/** An account and its encrypted pepper; undefined when unknown. */
export async function findAccount(db: Queryable, id: string): Promise<{ account: Account; pepperCiphertext: Buffer } | undefined> {
  const [row] = await db.query<Row>("SELECT * FROM iam_accounts WHERE id = $1", [id]);
  return row ? { account: toAccount(row), pepperCiphertext: bytes(row.api_key_pepper) } : undefined;
}

/** Every account, oldest first. */
export async function listAccounts(db: Queryable): Promise<Account[]> {
  const rows = await db.query<Row>("SELECT id, name, default_model_access, created_at FROM iam_accounts ORDER BY created_at, id");
  return rows.map(toAccount);
}

/** Enables or disables one model for one account. */
export async function setModelAccess(db: Queryable, accountId: string, modelId: string, enabled: boolean, now: number): Promise<void> {
  await db.execute(
    `INSERT INTO iam_model_access (account_id, model_id, enabled, updated_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (account_id, model_id) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at`,
    [accountId, modelId, enabled ? 1 : 0, now],
  );
}

/**
 * An account's model access in one query. An account without a row (the default account before
 * anything was configured for it) gets `fallback` as its default.
 */
export async function loadModelAccess(db: Queryable, accountId: string, fallback: ModelAccessDefault): Promise<ModelAccess> {
  const rows = await db.query<Row>(
    `SELECT a.default_model_access, m.model_id, m.enabled
     FROM (SELECT CAST($1 AS TEXT) AS id) k
     LEFT JOIN iam_accounts a ON a.id = k.id
     LEFT JOIN iam_model_access m ON m.account_id = k.id`,
    [accountId],
  );
  const overrides = new Map<string, boolean>();
  let defaultAccess: unknown = undefined;
  for (const row of rows) {
    defaultAccess ??= row.default_model_access ?? undefined;
    if (row.model_id !== null && row.model_id !== undefined) overrides.set(String(row.model_id), Number(row.enabled) === 1);
  }
  return { defaultEnabled: (defaultAccess ?? fallback) === "enabled", overrides };
}
