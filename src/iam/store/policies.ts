// SQL of named policies and their attachments. Attachments carry the account in composite
// foreign keys (0002-iam.sql), so a cross-account attachment is refused by the database too.
import type { Queryable } from "../../store/db/database.ts";
import { toPolicy, type PolicyRecord, type Row } from "./records.ts";

/** Creates or replaces the account's policy `name`; a replacement bumps the version. */
export async function upsertPolicy(db: Queryable, policy: { id: string; accountId: string; name: string; document: string }, now: number): Promise<PolicyRecord> {
  const [row] = await db.query<Row>(
    `INSERT INTO iam_policies (id, account_id, name, document, version, created_at, updated_at) VALUES ($1, $2, $3, $4, 1, $5, $5)
     ON CONFLICT (account_id, name) DO UPDATE SET document = excluded.document, version = iam_policies.version + 1, updated_at = excluded.updated_at
     RETURNING *`,
    [policy.id, policy.accountId, policy.name, policy.document, now],
  );
  return toPolicy(row!);
}

/** The account's policy `name`. */
export async function findPolicy(db: Queryable, accountId: string, name: string): Promise<PolicyRecord | undefined> {
  const [row] = await db.query<Row>("SELECT * FROM iam_policies WHERE account_id = $1 AND name = $2", [accountId, name]);
  return row ? toPolicy(row) : undefined;
}

/** Every policy of the account, by name. */
export async function listPolicies(db: Queryable, accountId: string): Promise<PolicyRecord[]> {
  const rows = await db.query<Row>("SELECT * FROM iam_policies WHERE account_id = $1 ORDER BY name", [accountId]);
  return rows.map(toPolicy);
}

/** Attaches a policy to a principal of the same account; attaching twice changes nothing. */
export async function insertAttachment(db: Queryable, attachment: { accountId: string; policyId: string; principalId: string }, now: number): Promise<void> {
  await db.execute(
    `INSERT INTO iam_policy_attachments (account_id, policy_id, principal_id, created_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (policy_id, principal_id) DO NOTHING`,
    [attachment.accountId, attachment.policyId, attachment.principalId, now],
  );
}

/** The policies attached to a principal of the account, by name. */
export async function attachedPolicies(db: Queryable, accountId: string, principalId: string): Promise<PolicyRecord[]> {
  const rows = await db.query<Row>(
    `SELECT p.* FROM iam_policy_attachments a JOIN iam_policies p ON p.id = a.policy_id AND p.account_id = a.account_id
     WHERE a.account_id = $1 AND a.principal_id = $2 ORDER BY p.name`,
    [accountId, principalId],
  );
  return rows.map(toPolicy);
}
