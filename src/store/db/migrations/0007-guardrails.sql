-- Guardrails (src/guardrails/store/guardrail-store.ts): one row per guardrail in its account,
-- one row per version of its configuration. The DRAFT is the version UpdateGuardrail edits;
-- CreateGuardrailVersion copies it to the next number, and numbered versions never change.
-- Times are epoch milliseconds, as in 0001.
CREATE TABLE guardrails (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  -- The highest numbered version ever created: numbers are not reused after a delete.
  last_version INTEGER NOT NULL DEFAULT 0,
  -- [{"key": …, "value": …}] as JSON.
  tags TEXT NOT NULL DEFAULT '[]',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (account_id, name)
);
CREATE INDEX guardrails_listing ON guardrails (account_id, created_at, id);

CREATE TABLE guardrail_versions (
  guardrail_id TEXT NOT NULL REFERENCES guardrails (id) ON DELETE CASCADE,
  -- 'DRAFT' or a number; `number` orders the numbered ones (0 for DRAFT).
  version TEXT NOT NULL,
  number INTEGER NOT NULL,
  -- The normalized GuardrailConfig (src/guardrails/guardrail.ts) as JSON.
  config TEXT NOT NULL,
  -- CreateGuardrailVersion's description of this version (the DRAFT keeps the guardrail's own).
  version_description TEXT,
  client_token TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (guardrail_id, version)
);
