-- State that several Basalt nodes share when the metadata database is PostgreSQL
-- (docs/decisions/0020-multi-node-state.md). A single node on SQLite keeps it in memory instead;
-- the tables exist there too, so both engines run one schema and one test suite.

-- SigV4 signatures accepted recently (src/iam/db-replay-cache.ts): the SHA-256 of each, kept until
-- its request's timestamp leaves the clock-skew window. The primary key makes a replay lose the race.
CREATE TABLE sigv4_replay (
  signature_hash TEXT PRIMARY KEY,
  expires_at BIGINT NOT NULL
);
CREATE INDEX sigv4_replay_expiry ON sigv4_replay (expires_at);

-- Quota state (src/quotas/shared-limiter.ts), one row per key: a token bucket's level (tokens × window
-- ms) and when it was last refilled; a stream scope's lock row; a budget's spend this month (pico-dollars).
CREATE TABLE quota_counters (
  key TEXT PRIMARY KEY,
  level BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- What an admitted request holds until it ends: a concurrent-stream slot (amount 1) or a budget
-- reservation (pico-dollars). Each node renews the expiry of its open leases' rows while it lives;
-- the rows of a node that died expire and stop counting. node_id says whose a row is, for operators.
CREATE TABLE quota_holds (
  lease_id TEXT NOT NULL,
  scope_key TEXT NOT NULL,
  amount BIGINT NOT NULL,
  node_id TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (lease_id, scope_key)
);
CREATE INDEX quota_holds_scope ON quota_holds (scope_key, expires_at);
CREATE INDEX quota_holds_expiry ON quota_holds (expires_at);

-- Wrapped data keys of envelope encryption (src/store/crypto/db-wrapped-key-store.ts): every node
-- must unwrap what any node sealed, so on PostgreSQL they live here rather than in one node's
-- <dataDir>/keys. Only ever wrapped (base64 of the key provider's blob); never a key in the clear.
CREATE TABLE wrapped_data_keys (
  account_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  key_id TEXT NOT NULL,
  master_key_id TEXT NOT NULL,
  wrapped TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (account_id, version)
);
