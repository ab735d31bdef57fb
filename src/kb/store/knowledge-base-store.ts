// The knowledge-base store: knowledge bases, data sources and document records over the metadata
// database, every method inside one account (another account's ids are simply not found).
// The control plane writes knowledge bases and data sources; the ingestion pipeline reads them
// and keeps the document records (docs/decisions/0018-knowledge-base-control-plane.md).
import { BasaltError } from "../../spec/errors.ts";
import type { Database, Queryable } from "../../store/db/database.ts";
import { claimClientToken, requestFingerprint, setClientTokenResource, type ClientTokenKey } from "./client-tokens.ts";
import * as dataSources from "./data-sources.ts";
import * as documents from "./documents.ts";
import { newResourceId } from "./ids.ts";
import * as knowledgeBases from "./knowledge-bases.ts";
import { decodePageToken, encodePageToken } from "../../store/paging.ts";
import type {
  DataSourceRecord,
  DataSourceRef,
  DataSourceStatus,
  DocumentRecord,
  DocumentStatus,
  DocumentWrite,
  KnowledgeBaseConfiguration,
  KnowledgeBaseRecord,
  KnowledgeBaseStatus,
  Page,
  StorageConfiguration,
} from "./records.ts";

/** Options of {@link KnowledgeBaseStore}. */
export interface KnowledgeBaseStoreOptions {
  db: Database;
  now?: () => number;
}

/** What CreateKnowledgeBase stores. */
export interface NewKnowledgeBaseInput {
  accountId: string;
  name: string;
  description?: string;
  roleArn: string;
  configuration: KnowledgeBaseConfiguration;
  storageConfiguration?: StorageConfiguration;
  /** Idempotency: a retry with the same token and parameters returns the knowledge base already created. */
  clientToken?: string;
}

/** What CreateDataSource and UpdateDataSource store. */
export type DataSourceInput = dataSources.DataSourceFields;

/** Paging of a list call: Bedrock's maxResults and opaque nextToken. */
export interface PageRequest {
  maxResults?: number;
  nextToken?: string;
}

/** Default page size when a list call gives no maxResults. */
export const DEFAULT_PAGE_SIZE = 100;

/** Persistent knowledge-base state. */
export class KnowledgeBaseStore {
  readonly db: Database;
  private readonly now: () => number;

  constructor(options: KnowledgeBaseStoreOptions) {
    this.db = options.db;
    this.now = options.now ?? Date.now;
  }

  // ---- knowledge bases ----

  /** Creates an ACTIVE knowledge base (creation is synchronous here), or returns the one its client token created. */
  async createKnowledgeBase(input: NewKnowledgeBaseInput): Promise<{ knowledgeBase: KnowledgeBaseRecord; created: boolean }> {
    const { clientToken, ...fields } = input;
    return this.db.transaction(async (tx) => {
      const token: ClientTokenKey | undefined = clientToken === undefined ? undefined : { accountId: input.accountId, scope: "CreateKnowledgeBase", token: clientToken };
      if (token) {
        const earlier = await this.replay(tx, token, fields, (id) => knowledgeBases.findKnowledgeBase(tx, input.accountId, id));
        if (earlier) return { knowledgeBase: earlier, created: false };
      }
      const now = this.now();
      const id = newResourceId();
      if (!(await knowledgeBases.insertKnowledgeBase(tx, { ...fields, id, status: "ACTIVE" }, now))) {
        throw new BasaltError("CONFLICT", `A knowledge base named ${input.name} already exists in this account.`);
      }
      if (token) await setClientTokenResource(tx, token, id);
      return { knowledgeBase: (await knowledgeBases.findKnowledgeBase(tx, input.accountId, id))!, created: true };
    });
  }

  /** A knowledge base of the account, or undefined. */
  findKnowledgeBase(accountId: string, id: string): Promise<KnowledgeBaseRecord | undefined> {
    return knowledgeBases.findKnowledgeBase(this.db, accountId, id);
  }

  /** A knowledge base of the account, or ResourceNotFoundException (also for another account's ids). */
  async getKnowledgeBase(accountId: string, id: string): Promise<KnowledgeBaseRecord> {
    const found = await knowledgeBases.findKnowledgeBase(this.db, accountId, id);
    if (!found) throw knowledgeBaseNotFound(id);
    return found;
  }

  /** One page of the account's knowledge bases, oldest first. */
  async listKnowledgeBases(accountId: string, page: PageRequest = {}): Promise<Page<KnowledgeBaseRecord>> {
    const scope = "kb";
    const after = page.nextToken === undefined ? undefined : (decodePageToken(scope, page.nextToken, ["number", "string"]) as [number, string]);
    const limit = page.maxResults ?? DEFAULT_PAGE_SIZE;
    const rows = await knowledgeBases.listKnowledgeBases(this.db, { accountId, limit: limit + 1, after });
    return pageOf(rows, limit, (last) => encodePageToken(scope, [last.createdAt.getTime(), last.id]));
  }

  /** Renames or re-describes a knowledge base; a name another one has is a ConflictException. */
  async updateKnowledgeBase(accountId: string, id: string, changes: knowledgeBases.KnowledgeBaseChanges): Promise<KnowledgeBaseRecord> {
    return this.db.transaction(async (tx) => {
      if (!(await knowledgeBases.findKnowledgeBase(tx, accountId, id))) throw knowledgeBaseNotFound(id);
      if (await knowledgeBases.nameTaken(tx, accountId, changes.name, id)) {
        throw new BasaltError("CONFLICT", `A knowledge base named ${changes.name} already exists in this account.`);
      }
      await knowledgeBases.updateKnowledgeBase(tx, accountId, id, changes, this.now());
      return (await knowledgeBases.findKnowledgeBase(tx, accountId, id))!;
    });
  }

  /** Sets a knowledge base's status (and failure reasons, cleared when none are given). */
  async setKnowledgeBaseStatus(accountId: string, id: string, status: KnowledgeBaseStatus, failureReasons?: readonly string[]): Promise<void> {
    if (!(await knowledgeBases.setKnowledgeBaseStatus(this.db, { accountId, id, status, failureReasons, now: this.now() }))) throw knowledgeBaseNotFound(id);
  }

  /** Deletes a knowledge base with its data sources and document records; ResourceNotFoundException when absent. */
  async deleteKnowledgeBase(accountId: string, id: string): Promise<void> {
    if (!(await knowledgeBases.deleteKnowledgeBase(this.db, accountId, id))) throw knowledgeBaseNotFound(id);
  }

  // ---- data sources ----

  /** Creates an AVAILABLE data source, or returns the one its client token created. */
  async createDataSource(
    accountId: string,
    knowledgeBaseId: string,
    input: DataSourceInput & { clientToken?: string },
  ): Promise<{ dataSource: DataSourceRecord; created: boolean }> {
    const { clientToken, ...fields } = input;
    return this.db.transaction(async (tx) => {
      if (!(await knowledgeBases.findKnowledgeBase(tx, accountId, knowledgeBaseId))) throw knowledgeBaseNotFound(knowledgeBaseId);
      const token: ClientTokenKey | undefined = clientToken === undefined ? undefined : { accountId, scope: `CreateDataSource:${knowledgeBaseId}`, token: clientToken };
      if (token) {
        const earlier = await this.replay(tx, token, fields, (id) => dataSources.findDataSource(tx, { accountId, knowledgeBaseId, dataSourceId: id }));
        if (earlier) return { dataSource: earlier, created: false };
      }
      const ref = { accountId, knowledgeBaseId, dataSourceId: newResourceId() };
      if (!(await dataSources.insertDataSource(tx, ref, fields, "AVAILABLE", this.now()))) {
        throw new BasaltError("CONFLICT", `A data source named ${input.name} already exists in knowledge base ${knowledgeBaseId}.`);
      }
      if (token) await setClientTokenResource(tx, token, ref.dataSourceId);
      return { dataSource: (await dataSources.findDataSource(tx, ref))!, created: true };
    });
  }

  /** A data source, or undefined. */
  findDataSource(ref: DataSourceRef): Promise<DataSourceRecord | undefined> {
    return dataSources.findDataSource(this.db, ref);
  }

  /** A data source, or ResourceNotFoundException naming what is missing: the knowledge base or the data source. */
  async getDataSource(ref: DataSourceRef): Promise<DataSourceRecord> {
    const found = await dataSources.findDataSource(this.db, ref);
    if (found) return found;
    if (!(await knowledgeBases.findKnowledgeBase(this.db, ref.accountId, ref.knowledgeBaseId))) throw knowledgeBaseNotFound(ref.knowledgeBaseId);
    throw dataSourceNotFound(ref);
  }

  /** One page of a knowledge base's data sources, oldest first; ResourceNotFoundException for an unknown knowledge base. */
  async listDataSources(accountId: string, knowledgeBaseId: string, page: PageRequest = {}): Promise<Page<DataSourceRecord>> {
    await this.getKnowledgeBase(accountId, knowledgeBaseId);
    const scope = `ds:${knowledgeBaseId}`;
    const after = page.nextToken === undefined ? undefined : (decodePageToken(scope, page.nextToken, ["number", "string"]) as [number, string]);
    const limit = page.maxResults ?? DEFAULT_PAGE_SIZE;
    const rows = await dataSources.listDataSources(this.db, { accountId, knowledgeBaseId, limit: limit + 1, after });
    return pageOf(rows, limit, (last) => encodePageToken(scope, [last.createdAt.getTime(), last.id]));
  }

  /** Every data source of a knowledge base. */
  async allDataSources(accountId: string, knowledgeBaseId: string): Promise<DataSourceRecord[]> {
    const out: DataSourceRecord[] = [];
    let after: [number, string] | undefined;
    for (;;) {
      const rows = await dataSources.listDataSources(this.db, { accountId, knowledgeBaseId, limit: 500, after });
      out.push(...rows);
      if (rows.length < 500) return out;
      const last = rows[rows.length - 1]!;
      after = [last.createdAt.getTime(), last.id];
    }
  }

  /** Every S3 data source of every account, for the sync schedule (the one read across accounts). */
  allS3DataSources(): Promise<DataSourceRecord[]> {
    return dataSources.listAllS3DataSources(this.db);
  }

  /** Replaces a data source's updatable fields; a name another one has is a ConflictException. */
  async updateDataSource(ref: DataSourceRef, fields: DataSourceInput): Promise<DataSourceRecord> {
    return this.db.transaction(async (tx) => {
      if (!(await dataSources.findDataSource(tx, ref))) throw dataSourceNotFound(ref);
      if (await dataSources.dataSourceNameTaken(tx, ref.knowledgeBaseId, fields.name, ref.dataSourceId)) {
        throw new BasaltError("CONFLICT", `A data source named ${fields.name} already exists in knowledge base ${ref.knowledgeBaseId}.`);
      }
      await dataSources.updateDataSource(tx, ref, fields, this.now());
      return (await dataSources.findDataSource(tx, ref))!;
    });
  }

  /** Sets a data source's status (and failure reasons, cleared when none are given). */
  async setDataSourceStatus(ref: DataSourceRef, status: DataSourceStatus, failureReasons?: readonly string[]): Promise<void> {
    if (!(await dataSources.setDataSourceStatus(this.db, ref, { status, failureReasons, now: this.now() }))) throw dataSourceNotFound(ref);
  }

  /** Deletes a data source with its document records; ResourceNotFoundException when absent. */
  async deleteDataSource(ref: DataSourceRef): Promise<void> {
    if (!(await dataSources.deleteDataSource(this.db, ref))) throw dataSourceNotFound(ref);
  }

  // ---- documents ----

  /** The records of these document ids that exist. */
  getDocuments(ref: DataSourceRef, documentIds: readonly string[]): Promise<DocumentRecord[]> {
    return documents.findDocuments(this.db, ref, documentIds);
  }

  /** One page of a data source's document records, by document id. */
  async listDocuments(ref: DataSourceRef, page: PageRequest = {}): Promise<Page<DocumentRecord>> {
    const scope = `doc:${ref.dataSourceId}`;
    const afterId = page.nextToken === undefined ? undefined : (decodePageToken(scope, page.nextToken, ["string"])[0] as string);
    const limit = page.maxResults ?? DEFAULT_PAGE_SIZE;
    const rows = await documents.listDocuments(this.db, ref, { limit: limit + 1, afterId });
    return pageOf(rows, limit, (last) => encodePageToken(scope, [last.documentId]));
  }

  /**
   * Every document record of a data source, streamed in batches by document id (a sync's diff
   * against the source). Records written while it runs may or may not be seen.
   */
  async *documents(ref: DataSourceRef, options: { batchSize?: number } = {}): AsyncGenerator<DocumentRecord> {
    const batchSize = options.batchSize ?? 500;
    let afterId: string | undefined;
    for (;;) {
      const rows = await documents.listDocuments(this.db, ref, { limit: batchSize, afterId });
      yield* rows;
      if (rows.length < batchSize) return;
      afterId = rows[rows.length - 1]!.documentId;
    }
  }

  /** Inserts or wholly replaces document records, all or none. */
  async putDocuments(ref: DataSourceRef, writes: readonly DocumentWrite[]): Promise<void> {
    const now = this.now();
    await this.db.transaction(async (tx) => {
      for (const write of writes) await documents.upsertDocument(tx, ref, write, now);
    });
  }

  /**
   * Records a status for documents, creating records for ids not yet known (direct ingestion
   * marks its documents STARTING or DELETING this way before the pipeline sees them).
   */
  async recordDocumentStatus(
    ref: DataSourceRef,
    documentIds: readonly string[],
    options: { status: DocumentStatus; statusReason?: string; ingestionJobId?: string },
  ): Promise<void> {
    const now = this.now();
    await this.db.transaction(async (tx) => {
      for (const documentId of documentIds) await documents.upsertDocumentStatus(tx, ref, { ...options, documentId, now });
    });
  }

  /**
   * Sets the status of existing records; with `from`, only of those currently in one of those
   * statuses; with `ownedBy`, only of those that job still owns. Returns how many changed.
   */
  setDocumentStatus(
    ref: DataSourceRef,
    documentIds: readonly string[],
    options: { status: DocumentStatus; statusReason?: string; ingestionJobId?: string; from?: readonly DocumentStatus[]; ownedBy?: string },
  ): Promise<number> {
    return documents.setDocumentStatus(this.db, ref, { ...options, documentIds, now: this.now() });
  }

  /** Replaces a document's record while job `jobId` still owns it (direct ingestion); returns whether it did. */
  finishOwnedDocument(ref: DataSourceRef, write: Omit<DocumentWrite, "ingestionJobId">, jobId: string): Promise<boolean> {
    return documents.finishOwnedDocument(this.db, ref, write, jobId, this.now());
  }

  /** Deletes the records of these ids that job `jobId` still owns (direct deletion); returns how many went. */
  deleteOwnedDocuments(ref: DataSourceRef, documentIds: readonly string[], jobId: string): Promise<number> {
    return documents.deleteOwnedDocuments(this.db, ref, documentIds, jobId);
  }

  /** Deletes document records; returns how many went. */
  deleteDocuments(ref: DataSourceRef, documentIds: readonly string[]): Promise<number> {
    return documents.deleteDocuments(this.db, ref, documentIds);
  }

  /** How many records a data source has, by status. */
  countDocuments(ref: DataSourceRef): Promise<Partial<Record<DocumentStatus, number>>> {
    return documents.countDocuments(this.db, ref);
  }

  /**
   * Runs `fn` once per client token, in one transaction with the token's claim: false (and `fn`
   * not run) when the same request already ran with this token; a token used with other
   * parameters is a ConflictException. Without a token `fn` simply runs.
   */
  async runOnce(token: ClientTokenKey | undefined, request: unknown, fn: () => Promise<void>): Promise<boolean> {
    if (!token) {
      await fn();
      return true;
    }
    return this.db.transaction(async (tx) => {
      const claim = await claimClientToken(tx, token, requestFingerprint(request), this.now());
      if (!claim.claimed) {
        if (!claim.sameRequest) throw clientTokenReused();
        return false;
      }
      await fn(); // joins this transaction: the database follows the open scope
      return true;
    });
  }

  /**
   * Claims a client token for `request` inside the caller's transaction. Returns what the
   * token's earlier request created when it still exists; a token used with other parameters
   * is a ConflictException.
   */
  private async replay<T>(tx: Queryable, token: ClientTokenKey, request: unknown, find: (id: string) => Promise<T | undefined>): Promise<T | undefined> {
    const claim = await claimClientToken(tx, token, requestFingerprint(request), this.now());
    if (claim.claimed) return undefined;
    if (!claim.sameRequest) throw clientTokenReused();
    // The earlier request's resource may have been deleted since: this request then creates anew.
    return claim.resourceId === undefined ? undefined : find(claim.resourceId);
  }
}

/** Bedrock's answer for an unknown knowledge base. */
export function knowledgeBaseNotFound(id: string): BasaltError {
  return new BasaltError("NOT_FOUND", `Knowledge base ${id} does not exist.`);
}

/** Bedrock's answer for an unknown data source. */
export function dataSourceNotFound(ref: Pick<DataSourceRef, "knowledgeBaseId" | "dataSourceId">): BasaltError {
  return new BasaltError("NOT_FOUND", `Data source ${ref.dataSourceId} does not exist in knowledge base ${ref.knowledgeBaseId}.`);
}

/** A client token sent again with other parameters. */
export function clientTokenReused(): BasaltError {
  return new BasaltError("CONFLICT", "The client token was already used for a request with different parameters.");
}

/** Turns `limit + 1` rows into a page of `limit` and the token of the next page. */
function pageOf<T>(rows: T[], limit: number, tokenAfter: (last: T) => string): Page<T> {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  return { items, nextToken: tokenAfter(items[items.length - 1]!) };
}
