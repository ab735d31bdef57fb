-- Usage records (src/usage/db-usage-recorder.ts) and per-account model invocation logging
-- configurations (src/usage/db-logging-config-store.ts). Times are epoch milliseconds, as in 0001.
CREATE TABLE usage_records (
  request_id TEXT NOT NULL,
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

-- Every model call inserts a row, so the table has one index, and one that rows join at its end
-- (time first): a primary key on the random request id cost twice as much per row, growing with
-- the table. Reports and budget replay read a period; pages walk (at, request_id). Filters by
-- model, principal or account scan the period.
CREATE INDEX usage_records_at ON usage_records (at, request_id);

-- One PutModelInvocationLoggingConfiguration per account (a node serves one region); absent: off.
CREATE TABLE invocation_logging_configs (
  account_id TEXT PRIMARY KEY,
  config TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
