-- Durable jobs (src/jobs/). Times are epoch milliseconds and JSON is stored as text, the same on
-- both engines, so rows read back identically whichever one runs.
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  account_id TEXT NOT NULL,
  client_token TEXT,
  state TEXT NOT NULL CHECK (state IN ('QUEUED', 'IN_PROGRESS', 'COMPLETE', 'FAILED', 'STOPPING', 'STOPPED')),
  payload TEXT NOT NULL,
  result TEXT,
  progress TEXT,
  -- Why the job failed, or (while QUEUED again) why its last attempt failed.
  failure_reason TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  run_after BIGINT NOT NULL,
  locked_by TEXT,
  lease_expires_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  started_at BIGINT,
  finished_at BIGINT
);

-- Idempotency: one job per client token per account and type (NULL tokens never collide).
CREATE UNIQUE INDEX jobs_client_token ON jobs (account_id, type, client_token);
-- Claiming looks for QUEUED jobs due now; recovery for leases that ran out.
CREATE INDEX jobs_runnable ON jobs (state, run_after);
CREATE INDEX jobs_lease ON jobs (state, lease_expires_at);
CREATE INDEX jobs_account ON jobs (account_id, type, created_at);
