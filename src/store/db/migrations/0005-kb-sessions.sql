-- RetrieveAndGenerate sessions (src/kb/generation/session-store.ts): a session belongs to the
-- account that created it and expires a while after its last use; each question and answer is
-- one row, encrypted with the account's data key, so concurrent calls in one session never
-- overwrite each other's turn. Times are epoch milliseconds, as in 0001.
CREATE TABLE kb_rag_sessions (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
-- Expired sessions are swept by age.
CREATE INDEX kb_rag_sessions_expiry ON kb_rag_sessions (expires_at);

CREATE TABLE kb_rag_session_turns (
  session_id TEXT NOT NULL REFERENCES kb_rag_sessions (id) ON DELETE CASCADE,
  -- The request that produced the turn: unique, and the tie-breaker for turns of the same millisecond.
  request_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  -- {"question": …, "answer": …} as JSON, encrypted (src/store/crypto envelope format).
  content BYTEA NOT NULL,
  PRIMARY KEY (session_id, request_id)
);
CREATE INDEX kb_rag_session_turns_order ON kb_rag_session_turns (session_id, at);
