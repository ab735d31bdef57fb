-- Identities, credentials, policies and model access (src/iam/store/). Every row names its
-- account, and rows that point at each other carry the account in a composite foreign key, so
-- the database itself refuses a link between two accounts (an attachment of one account's
-- policy to another account's user, a key issued to another account's role).
CREATE TABLE iam_accounts (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  -- Whether a model with no row in iam_model_access is usable; fixed when the account is created.
  default_model_access TEXT NOT NULL CHECK (default_model_access IN ('enabled', 'disabled')),
  -- The account's API key pepper, encrypted under the account's data key (never in clear).
  api_key_pepper BYTEA NOT NULL,
  created_at BIGINT NOT NULL
);

-- Users and roles share one table: both hold credentials and policies the same way. Names are
-- unique per account and type, as in IAM (a user and a role may share a name).
CREATE TABLE iam_principals (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES iam_accounts (id),
  type TEXT NOT NULL CHECK (type IN ('user', 'role')),
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (account_id, type, name),
  UNIQUE (account_id, id)
);

-- SigV4 needs the secret itself, so it is stored encrypted (envelope encryption under the owning
-- account, bound to the key id), never hashed and never in clear.
CREATE TABLE iam_access_keys (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  principal_id TEXT NOT NULL,
  secret_ciphertext BYTEA NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('Active', 'Inactive')),
  created_at BIGINT NOT NULL,
  FOREIGN KEY (account_id, principal_id) REFERENCES iam_principals (account_id, id) ON DELETE CASCADE
);
CREATE INDEX iam_access_keys_principal ON iam_access_keys (principal_id);

-- Bearer API keys: only a salted HMAC under the account's pepper (src/iam/api-keys.ts).
CREATE TABLE iam_api_keys (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  principal_id TEXT NOT NULL,
  hash TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('Active', 'Inactive')),
  expires_at BIGINT,
  created_at BIGINT NOT NULL,
  FOREIGN KEY (account_id, principal_id) REFERENCES iam_principals (account_id, id) ON DELETE CASCADE
);
CREATE INDEX iam_api_keys_principal ON iam_api_keys (principal_id);

-- Named (customer-managed) policy documents; put-policy on an existing name replaces the
-- document and bumps the version, which keys the server's cache of parsed policies.
CREATE TABLE iam_policies (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES iam_accounts (id),
  name TEXT NOT NULL,
  document TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (account_id, name),
  UNIQUE (account_id, id)
);

CREATE TABLE iam_policy_attachments (
  account_id TEXT NOT NULL,
  policy_id TEXT NOT NULL,
  principal_id TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (policy_id, principal_id),
  FOREIGN KEY (account_id, policy_id) REFERENCES iam_policies (account_id, id) ON DELETE CASCADE,
  FOREIGN KEY (account_id, principal_id) REFERENCES iam_principals (account_id, id) ON DELETE CASCADE
);
CREATE INDEX iam_policy_attachments_principal ON iam_policy_attachments (principal_id);

-- Per-account overrides of the account's default model access (Bedrock's model-access page).
CREATE TABLE iam_model_access (
  account_id TEXT NOT NULL REFERENCES iam_accounts (id),
  model_id TEXT NOT NULL,
  enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (account_id, model_id)
);
