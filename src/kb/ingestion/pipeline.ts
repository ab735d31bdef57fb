// The knowledge-base pipeline as the server runs it: one document parser, the vector indexes,
// the sync and direct-ingestion job handlers on the durable queue, the lifecycle hooks that follow
// knowledge bases and data sources with their vectors, the resolver the runtime API searches
// through, and the optional sync schedule.
import type { Logger } from "pino";
import type { Config } from "../../config/schema.ts";
import type { JobQueue } from "../../jobs/job-queue.ts";
import type { ModelRegistry } from "../../models/registry.ts";
import type { EnvelopeEncryption } from "../../store/crypto/envelope-encryption.ts";
import { createDocumentParser, type DocumentParser } from "../parsing/document-parser.ts";
import type { KnowledgeBaseLifecycle } from "../store/hooks.ts";
import type { IngestionJobs } from "../store/ingestion-jobs.ts";
import type { KnowledgeBaseStore } from "../store/knowledge-base-store.ts";
import type { DataSourceRecord, DataSourceRef, KnowledgeBaseRecord } from "../store/records.ts";
import { DirectIngestor } from "./direct-ingestor.ts";
import { KnowledgeBaseIndexes, type IndexTarget, type OpenKnowledgeBase } from "./indexes.ts";
import { resolveSource } from "./sources/resolve-source.ts";
import { INGESTION_JOB_TYPE, runSync, type DocumentState, type IngestionPayload, type IngestionResult, type SyncStore } from "./sync.ts";

/** A knowledge base record as the index manager needs it. */
export function indexTarget(kb: KnowledgeBaseRecord): IndexTarget {
  return { accountId: kb.accountId, knowledgeBaseId: kb.id, knowledgeBaseConfiguration: kb.configuration, storageConfiguration: kb.storageConfiguration };
}

/** The sync's bookkeeping over the control plane's store. */
function syncStore(store: KnowledgeBaseStore): SyncStore {
  const ref = (accountId: string, knowledgeBaseId: string, dataSourceId: string): DataSourceRef => ({ accountId, knowledgeBaseId, dataSourceId });
  return {
    async knowledgeBase(accountId, id) {
      const kb = await store.findKnowledgeBase(accountId, id);
      return kb && indexTarget(kb);
    },
    async dataSource(accountId, knowledgeBaseId, id) {
      const ds = await store.findDataSource(ref(accountId, knowledgeBaseId, id));
      return ds && { dataSourceConfiguration: ds.configuration, vectorIngestionConfiguration: ds.vectorIngestionConfiguration as never };
    },
    async documents(accountId, knowledgeBaseId, id) {
      const out: DocumentState[] = [];
      for await (const d of store.documents(ref(accountId, knowledgeBaseId, id))) {
        out.push({
          documentId: d.documentId,
          contentFingerprint: d.contentFingerprint ?? "",
          metadataFingerprint: d.metadataFingerprint ?? "",
          status: d.status === "INDEXED" ? "INDEXED" : "FAILED",
          statusReason: d.statusReason,
          chunkCount: d.chunkCount,
          jobId: d.ingestionJobId,
        });
      }
      return out;
    },
    async saveDocument(accountId, knowledgeBaseId, id, state) {
      await store.putDocuments(ref(accountId, knowledgeBaseId, id), [
        {
          documentId: state.documentId,
          contentFingerprint: state.contentFingerprint,
          metadataFingerprint: state.metadataFingerprint,
          status: state.status,
          statusReason: state.statusReason,
          chunkCount: state.chunkCount,
          ingestionJobId: state.jobId,
        },
      ]);
    },
    async removeDocument(accountId, knowledgeBaseId, id, documentId) {
      await store.deleteDocuments(ref(accountId, knowledgeBaseId, id), [documentId]);
    },
  };
}

/** Options of {@link KnowledgeBasePipeline}. */
export interface KnowledgeBasePipelineOptions {
  config: Config;
  registry: ModelRegistry;
  store: KnowledgeBaseStore;
  logger: Logger;
  /** Encrypts the embedded vector indexes at rest. */
  encryption: EnvelopeEncryption;
}

/** Everything that turns documents into searchable chunks. */
export class KnowledgeBasePipeline {
  readonly indexes: KnowledgeBaseIndexes;
  readonly parser: DocumentParser;
  readonly ingestor: DirectIngestor;
  readonly lifecycle: KnowledgeBaseLifecycle;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: KnowledgeBasePipelineOptions) {
    const { config, registry, store, encryption } = options;
    this.indexes = new KnowledgeBaseIndexes({ config, registry, encryption });
    this.parser = createDocumentParser({ maxBytes: config.knowledgeBases.maxDocumentBytes });
    const openSource = (bucket: string, accountId: string) => resolveSource(config, bucket, accountId);
    this.ingestor = new DirectIngestor({ store, indexes: this.indexes, parser: this.parser, openSource, maxDocumentBytes: config.knowledgeBases.maxDocumentBytes });
    this.lifecycle = {
      onKnowledgeBaseCreated: async (kb) => {
        // Opening checks the embedding model and the store (an RDS mapping, a dimension mismatch) now, not at the first sync.
        await this.indexes.open(indexTarget(kb));
      },
      onKnowledgeBaseDeleted: async (kb) => this.indexes.drop(indexTarget(kb)),
      onDataSourceDeleted: async (kb, ds) => this.#dropDataSource(kb, ds),
    };
  }

  /** Registers the sync and direct-ingestion job types on the queue. */
  register(queue: JobQueue): void {
    this.ingestor.register(queue);
    const { config, store, logger } = this.options;
    const openSource = (bucket: string, accountId: string) => resolveSource(config, bucket, accountId);
    const deps = {
      store: syncStore(store),
      indexes: this.indexes,
      parser: this.parser,
      openSource,
      maxDocumentBytes: config.knowledgeBases.maxDocumentBytes,
    };
    queue.register<IngestionPayload, IngestionResult>(INGESTION_JOB_TYPE, async (context) => {
      const result = await runSync(context, deps);
      logger.info({ job: context.job.id, knowledgeBaseId: context.payload.knowledgeBaseId, dataSourceId: context.payload.dataSourceId, failures: result.failureReasons.length }, "ingestion job finished");
      return result;
    });
  }

  /** The open knowledge base a Retrieve or RetrieveAndGenerate names (ResourceNotFoundException otherwise). */
  async resolve(accountId: string, knowledgeBaseId: string): Promise<OpenKnowledgeBase> {
    return this.indexes.open(indexTarget(await this.options.store.getKnowledgeBase(accountId, knowledgeBaseId)));
  }

  /**
   * Starts a sync of every S3 data source every `syncIntervalMinutes` (0: never). A data source
   * whose previous sync still runs is skipped (the start is a ConflictException).
   */
  startSchedule(jobs: IngestionJobs, listAll: () => Promise<DataSourceRecord[]>): void {
    const minutes = this.options.config.knowledgeBases.syncIntervalMinutes;
    if (!(minutes > 0)) return;
    this.#timer = setInterval(() => {
      void (async () => {
        for (const ds of await listAll()) {
          if (ds.configuration.type !== "S3") continue;
          await jobs.start({ accountId: ds.accountId, knowledgeBaseId: ds.knowledgeBaseId, dataSourceId: ds.id }, { description: "scheduled sync" }).catch((error: unknown) => {
            if ((error as { code?: string }).code !== "CONFLICT") this.options.logger.warn({ err: error, dataSourceId: ds.id }, "scheduled sync could not start");
          });
        }
      })().catch((error: unknown) => this.options.logger.warn({ err: error }, "scheduled sync failed"));
    }, minutes * 60_000);
    this.#timer.unref();
  }

  async #dropDataSource(kb: KnowledgeBaseRecord, ds: DataSourceRecord): Promise<void> {
    if (ds.dataDeletionPolicy === "RETAIN") return;
    const open = await this.indexes.open(indexTarget(kb));
    const ids: string[] = [];
    for await (const d of this.options.store.documents({ accountId: kb.accountId, knowledgeBaseId: kb.id, dataSourceId: ds.id })) ids.push(d.documentId);
    if (ids.length) await open.index.deleteDocuments(ids);
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.indexes.close();
    await this.parser.close();
  }
}
