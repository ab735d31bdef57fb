-- Usage records (src/usage/db-usage-recorder.ts) and per-account model invocation logging
-- configurations (src/usage/db-logging-config-store.ts). Times are epoch milliseconds, as in 0001.
CREATE TABLE usage_records (
  -- The request id: a retried batch insert (ON CONFLICT DO NOTHING) never counts a request twice.
  id TEXT PRIMARY KEY,
  at BIGINT NOT NULL,
  account_id TEXT,
  principal TEXT NOT NULL,
  model TEXT NOT NULL,
  operation TEXT,
  input_tokens BIGINT NOT NULL,
  output_tokens BIGINT NOT NULL,
  latency_ms BIGINT NOT NULL,
  outcome TEXT NOT NULL,
  error_name TEXT
);

-- Reports and budget replay read a period, and pages walk (at, id). Every model call inserts a
-- row, and each index is one more B-tree write per row, so there are none by model, principal or
-- account: those filters scan the period.
CREATE INDEX usage_records_at ON usage_records (at, id);

-- One PutModelInvocationLoggingConfiguration per account (a node serves one region); absent: off.
CREATE TABLE invocation_logging_configs (
  account_id TEXT PRIMARY KEY,
  config TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
