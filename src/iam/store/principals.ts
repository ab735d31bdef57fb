// SQL of users and roles. Lookups always name the account: an id or name from another account
// finds nothing, so it answers as not found.
import type { PrincipalType } from "../ids.ts";
import type { Queryable } from "../../store/db/database.ts";
import { toPrincipal, type PrincipalRecord, type Row } from "./records.ts";

/** Inserts a principal; false when the account already has one of that type and name. */
export async function insertPrincipal(db: Queryable, principal: Omit<PrincipalRecord, "arn" | "createdAt">, now: number): Promise<boolean> {
  const { changes } = await db.execute(
    `INSERT INTO iam_principals (id, account_id, type, name, created_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (account_id, type, name) DO NOTHING`,
    [principal.id, principal.accountId, principal.type, principal.name, now],
  );
  return changes === 1;
}

/** A principal of the account by type and name. */
export async function findPrincipalByName(db: Queryable, accountId: string, type: PrincipalType, name: string): Promise<PrincipalRecord | undefined> {
  const [row] = await db.query<Row>("SELECT * FROM iam_principals WHERE account_id = $1 AND type = $2 AND name = $3", [accountId, type, name]);
  return row ? toPrincipal(row) : undefined;
}

/** A principal of the account by id. */
export async function findPrincipalById(db: Queryable, accountId: string, id: string): Promise<PrincipalRecord | undefined> {
  const [row] = await db.query<Row>("SELECT * FROM iam_principals WHERE account_id = $1 AND id = $2", [accountId, id]);
  return row ? toPrincipal(row) : undefined;
}

/** The account's principals of one type, by name. */
export async function listPrincipals(db: Queryable, accountId: string, type: PrincipalType): Promise<PrincipalRecord[]> {
  const rows = await db.query<Row>("SELECT * FROM iam_principals WHERE account_id = $1 AND type = $2 ORDER BY name", [accountId, type]);
  return rows.map(toPrincipal);
}

/** Deletes a principal with its policy attachments; false when the account has no such principal. */
export async function deletePrincipal(db: Queryable, accountId: string, id: string): Promise<boolean> {
  await db.execute("DELETE FROM iam_policy_attachments WHERE account_id = $1 AND principal_id = $2", [accountId, id]);
  return (await db.execute("DELETE FROM iam_principals WHERE account_id = $1 AND id = $2", [accountId, id])).changes > 0;
}
