// SQL of knowledge bases. Every statement names the account it reads or writes in: another
// account's id is simply not found.
import type { Queryable } from "../../store/db/database.ts";
import { jsonColumn, reasonsColumn, toKnowledgeBase, type KnowledgeBaseConfiguration, type KnowledgeBaseRecord, type KnowledgeBaseStatus, type Row, type StorageConfiguration } from "./records.ts";

/** Fields of a new knowledge base. */
export interface NewKnowledgeBase {
  id: string;
  accountId: string;
  name: string;
  description?: string;
  roleArn: string;
  configuration: KnowledgeBaseConfiguration;
  storageConfiguration?: StorageConfiguration;
  status: KnowledgeBaseStatus;
}

/** Fields UpdateKnowledgeBase may change. */
export interface KnowledgeBaseChanges {
  name: string;
  description?: string;
  roleArn: string;
}

/** Inserts a knowledge base; false when the account already has one of that name (or the id is taken). */
export async function insertKnowledgeBase(db: Queryable, kb: NewKnowledgeBase, now: number): Promise<boolean> {
  const { changes } = await db.execute(
    `INSERT INTO kb_knowledge_bases (id, account_id, name, description, role_arn, configuration, storage_configuration, status, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT DO NOTHING`,
    [kb.id, kb.accountId, kb.name, kb.description ?? null, kb.roleArn, JSON.stringify(kb.configuration), jsonColumn(kb.storageConfiguration), kb.status, now],
  );
  return changes === 1;
}

/** A knowledge base of the account, or undefined. */
export async function findKnowledgeBase(db: Queryable, accountId: string, id: string): Promise<KnowledgeBaseRecord | undefined> {
  const [row] = await db.query<Row>("SELECT * FROM kb_knowledge_bases WHERE account_id = $1 AND id = $2", [accountId, id]);
  return row ? toKnowledgeBase(row) : undefined;
}

/** Whether the account has another knowledge base named `name`. */
export async function nameTaken(db: Queryable, accountId: string, name: string, exceptId = ""): Promise<boolean> {
  const rows = await db.query("SELECT 1 AS taken FROM kb_knowledge_bases WHERE account_id = $1 AND name = $2 AND id <> $3", [accountId, name, exceptId]);
  return rows.length > 0;
}

/** Up to `limit` knowledge bases after the key (created_at, id), oldest first. */
export async function listKnowledgeBases(db: Queryable, options: { accountId: string; limit: number; after?: [number, string] }): Promise<KnowledgeBaseRecord[]> {
  const [createdAt, id] = options.after ?? [-1, ""];
  const rows = await db.query<Row>(
    `SELECT * FROM kb_knowledge_bases WHERE account_id = $1 AND (created_at > $2 OR (created_at = $2 AND id > $3))
     ORDER BY created_at, id LIMIT $4`,
    [options.accountId, createdAt, id, options.limit],
  );
  return rows.map(toKnowledgeBase);
}

/** Applies an update; false when the knowledge base does not exist in the account. */
export async function updateKnowledgeBase(db: Queryable, accountId: string, id: string, changes: KnowledgeBaseChanges, now: number): Promise<boolean> {
  const result = await db.execute(
    "UPDATE kb_knowledge_bases SET name = $3, description = $4, role_arn = $5, updated_at = $6 WHERE account_id = $1 AND id = $2",
    [accountId, id, changes.name, changes.description ?? null, changes.roleArn, now],
  );
  return result.changes === 1;
}

/** Sets the status and failure reasons; false when the knowledge base does not exist in the account. */
export async function setKnowledgeBaseStatus(
  db: Queryable,
  options: { accountId: string; id: string; status: KnowledgeBaseStatus; failureReasons?: readonly string[]; now: number },
): Promise<boolean> {
  const { changes } = await db.execute("UPDATE kb_knowledge_bases SET status = $3, failure_reasons = $4, updated_at = $5 WHERE account_id = $1 AND id = $2", [
    options.accountId,
    options.id,
    options.status,
    reasonsColumn(options.failureReasons),
    options.now,
  ]);
  return changes === 1;
}

/** Deletes a knowledge base with its data sources and document records (cascade); false when absent. */
export async function deleteKnowledgeBase(db: Queryable, accountId: string, id: string): Promise<boolean> {
  const { changes } = await db.execute("DELETE FROM kb_knowledge_bases WHERE account_id = $1 AND id = $2", [accountId, id]);
  return changes === 1;
}
