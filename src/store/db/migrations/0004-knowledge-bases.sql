-- Knowledge bases, their data sources, the documents each data source holds, the link between
-- ingestion jobs (rows of `jobs`, 0001) and their data source, and client tokens (src/kb/store/).
-- Every row names its account and child rows carry it in composite foreign keys, so the database
-- itself refuses a data source under another account's knowledge base. Configurations are JSON
-- text exactly as the API validated them; times are epoch milliseconds, as in 0001.
CREATE TABLE kb_knowledge_bases (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT,
  role_arn TEXT NOT NULL,
  configuration TEXT NOT NULL,
  -- NULL: Basalt's embedded vector store.
  storage_configuration TEXT,
  status TEXT NOT NULL CHECK (status IN ('CREATING', 'ACTIVE', 'DELETING', 'UPDATING', 'FAILED', 'DELETE_UNSUCCESSFUL', 'UPDATE_UNSUCCESSFUL')),
  -- JSON array of strings; NULL when there are none.
  failure_reasons TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (account_id, name),
  UNIQUE (account_id, id)
);
-- Lists walk (created_at, id) pages within one account.
CREATE INDEX kb_knowledge_bases_listing ON kb_knowledge_bases (account_id, created_at, id);

CREATE TABLE kb_data_sources (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  knowledge_base_id TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT,
  configuration TEXT NOT NULL,
  vector_ingestion_configuration TEXT,
  data_deletion_policy TEXT NOT NULL DEFAULT 'DELETE' CHECK (data_deletion_policy IN ('DELETE', 'RETAIN')),
  server_side_encryption_configuration TEXT,
  status TEXT NOT NULL CHECK (status IN ('AVAILABLE', 'CREATING', 'DELETING', 'FAILED', 'UPDATING', 'DELETE_UNSUCCESSFUL')),
  failure_reasons TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (knowledge_base_id, name),
  UNIQUE (account_id, knowledge_base_id, id),
  FOREIGN KEY (account_id, knowledge_base_id) REFERENCES kb_knowledge_bases (account_id, id) ON DELETE CASCADE
);
CREATE INDEX kb_data_sources_listing ON kb_data_sources (knowledge_base_id, created_at, id);

-- The ingestion pipeline's bookkeeping per document, and what Get/ListKnowledgeBaseDocuments
-- report. `document_id` is the S3 URI or the custom id; the fingerprints are opaque strings the
-- pipeline compares to decide whether a document changed since it was last indexed.
CREATE TABLE kb_documents (
  account_id TEXT NOT NULL,
  knowledge_base_id TEXT NOT NULL,
  data_source_id TEXT NOT NULL,
  document_id TEXT NOT NULL,
  content_fingerprint TEXT,
  metadata_fingerprint TEXT,
  status TEXT NOT NULL CHECK (status IN ('INDEXED', 'PARTIALLY_INDEXED', 'PENDING', 'FAILED', 'METADATA_PARTIALLY_INDEXED',
    'METADATA_UPDATE_FAILED', 'IGNORED', 'NOT_FOUND', 'STARTING', 'IN_PROGRESS', 'DELETING', 'DELETE_IN_PROGRESS')),
  status_reason TEXT,
  chunk_count INTEGER NOT NULL DEFAULT 0,
  -- The ingestion job that last touched the document; NULL for direct ingestion.
  ingestion_job_id TEXT,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (data_source_id, document_id),
  FOREIGN KEY (account_id, knowledge_base_id, data_source_id) REFERENCES kb_data_sources (account_id, knowledge_base_id, id) ON DELETE CASCADE
);

-- An ingestion job is a job of the durable queue (type `kb.ingestion`); this row ties it to its
-- data source, for listing, filtering and the one-running-job-per-data-source rule.
CREATE TABLE kb_ingestion_jobs (
  job_id TEXT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
  account_id TEXT NOT NULL,
  knowledge_base_id TEXT NOT NULL,
  data_source_id TEXT NOT NULL,
  description TEXT,
  created_at BIGINT NOT NULL,
  FOREIGN KEY (account_id, knowledge_base_id, data_source_id) REFERENCES kb_data_sources (account_id, knowledge_base_id, id) ON DELETE CASCADE
);
CREATE INDEX kb_ingestion_jobs_data_source ON kb_ingestion_jobs (data_source_id, created_at);

-- Client tokens of the operations that take one: a retried request with the same token and the
-- same parameters gets the first one's outcome; other parameters are a ConflictException.
-- Tokens are kept for a day (AWS documents at least eight hours).
CREATE TABLE kb_client_tokens (
  account_id TEXT NOT NULL,
  scope TEXT NOT NULL,
  client_token TEXT NOT NULL,
  request_fingerprint TEXT NOT NULL,
  resource_id TEXT,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (account_id, scope, client_token)
);
CREATE INDEX kb_client_tokens_age ON kb_client_tokens (created_at);
