// Opens each knowledge base's vector index once and keeps it: the embedded store under
// `<dataDir>/knowledge-bases/<account>/<id>/`, encrypted under the account's keys (decision 0025),
// when the knowledge base names no storage, or PostgreSQL + pgvector when it names an RDS store
// the configuration maps to a database.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "../../config/schema.ts";
import { resolveSecret } from "../../config/secrets.ts";
import type { ModelRegistry } from "../../models/registry.ts";
import { BasaltError } from "../../spec/errors.ts";
import type { EmbeddingModel } from "../../spec/model.ts";
import type { EnvelopeEncryption } from "../../store/crypto/envelope-encryption.ts";
import { embeddingDimensions } from "../embedding/embed-batched.ts";
import { openEmbeddedIndex } from "../vector-store/embedded/embedded-index.ts";
import type { IndexEncryption } from "../vector-store/embedded/index-encryption.ts";
import { openPgvectorIndex } from "../vector-store/pgvector/pgvector-index.ts";
import type { VectorIndex } from "../vector-store/vector-store.ts";

/** What opening an index needs to know of a knowledge base. */
export interface IndexTarget {
  accountId: string;
  knowledgeBaseId: string;
  knowledgeBaseConfiguration: {
    vectorKnowledgeBaseConfiguration?: {
      embeddingModelArn: string;
      embeddingModelConfiguration?: { bedrockEmbeddingModelConfiguration?: { dimensions?: number } };
    };
  };
  storageConfiguration?: { type: string; rdsConfiguration?: RdsConfiguration } | null;
}

interface RdsConfiguration {
  resourceArn: string;
  databaseName: string;
  tableName: string;
  fieldMapping: { primaryKeyField: string; vectorField: string; textField: string; metadataField: string; customMetadataField?: string };
}

/** An open knowledge base: its index and the model that embeds for it. */
export interface OpenKnowledgeBase {
  index: VectorIndex;
  embedding: EmbeddingModel;
  embeddingModelId: string;
  dimensions: number;
}

/** Where an account's embedded index lives. */
export function embeddedIndexDir(dataDir: string, accountId: string, knowledgeBaseId: string): string {
  return join(dataDir, "knowledge-bases", accountId, knowledgeBaseId);
}

/**
 * How a knowledge base's embedded index is encrypted: under its account's keys, named by the
 * knowledge base id alone (no region or path), so the name never changes while the index lives.
 */
export function embeddedIndexEncryption(encryption: EnvelopeEncryption, accountId: string, knowledgeBaseId: string): IndexEncryption {
  return { encryption, accountId, resource: `basalt:knowledge-base/${knowledgeBaseId}/vector-index` };
}

/** The knowledge bases' indexes of one server. */
export class KnowledgeBaseIndexes {
  readonly #open = new Map<string, Promise<OpenKnowledgeBase>>();

  constructor(private readonly deps: { config: Pick<Config, "dataDir" | "knowledgeBases">; registry: ModelRegistry; encryption: EnvelopeEncryption }) {}

  /** The embedding model a knowledge base names, or a ValidationException. */
  embeddingModel(target: IndexTarget): { model: EmbeddingModel; id: string } {
    const arn = target.knowledgeBaseConfiguration.vectorKnowledgeBaseConfiguration?.embeddingModelArn;
    if (!arn) throw new BasaltError("VALIDATION", `Knowledge base ${target.knowledgeBaseId} has no embedding model.`);
    const found = this.deps.registry.embeddingModel(arn);
    return { model: found.embedding, id: found.entry.id };
  }

  /** Opens (once) the knowledge base's index. */
  open(target: IndexTarget): Promise<OpenKnowledgeBase> {
    const key = `${target.accountId}/${target.knowledgeBaseId}`;
    let opening = this.#open.get(key);
    if (!opening) {
      opening = this.#openIndex(target);
      this.#open.set(key, opening);
      opening.catch(() => this.#open.delete(key));
    }
    return opening;
  }

  async #openIndex(target: IndexTarget): Promise<OpenKnowledgeBase> {
    const { model, id } = this.embeddingModel(target);
    const configured = target.knowledgeBaseConfiguration.vectorKnowledgeBaseConfiguration?.embeddingModelConfiguration?.bedrockEmbeddingModelConfiguration?.dimensions;
    const dimensions = configured ?? (await embeddingDimensions(model));
    const storage = target.storageConfiguration;
    if (!storage) {
      const index = await openEmbeddedIndex({
        dir: embeddedIndexDir(this.deps.config.dataDir, target.accountId, target.knowledgeBaseId),
        dimensions,
        encryption: embeddedIndexEncryption(this.deps.encryption, target.accountId, target.knowledgeBaseId),
      });
      return { index, embedding: model, embeddingModelId: id, dimensions };
    }
    if (storage.type === "RDS" && storage.rdsConfiguration) {
      const rds = storage.rdsConfiguration;
      const mapped = this.deps.config.knowledgeBases.rds[rds.resourceArn];
      if (!mapped) throw new BasaltError("VALIDATION", `No database is configured for ${rds.resourceArn}; add it under knowledgeBases.rds in Basalt's configuration.`);
      const url = new URL(/^(env|file)::/.test(mapped.url) ? resolveSecret(mapped.url) : mapped.url);
      url.pathname = `/${encodeURIComponent(rds.databaseName)}`;
      const index = await openPgvectorIndex({ connectionString: url.href, tableName: rds.tableName, fieldMapping: rds.fieldMapping, dimensions, poolSize: mapped.poolSize ?? 4 });
      return { index, embedding: model, embeddingModelId: id, dimensions };
    }
    throw new BasaltError("VALIDATION", `Storage type ${storage.type} is not supported by Basalt.`);
  }

  /** Deletes a knowledge base's vectors (on DeleteKnowledgeBase). */
  async drop(target: IndexTarget): Promise<void> {
    const key = `${target.accountId}/${target.knowledgeBaseId}`;
    const opening = this.#open.get(key);
    this.#open.delete(key);
    if (opening) {
      const open = await opening.catch(() => undefined);
      if (open) return open.index.drop();
    }
    if (!target.storageConfiguration) await rm(embeddedIndexDir(this.deps.config.dataDir, target.accountId, target.knowledgeBaseId), { recursive: true, force: true });
    else await (await this.#openIndex(target)).index.drop();
  }

  /** Closes every open index. */
  async close(): Promise<void> {
    const all = [...this.#open.values()];
    this.#open.clear();
    await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.index.close()));
  }
}
