// Where wrapped data keys live. Deliberately four calls so the metadata database can back it
// with one table: (account_id, version) primary key, key_id, master_key_id, wrapped, created_at.

/** One version of an account's data key, encrypted under a master key. */
export interface WrappedDataKey {
  accountId: string;
  /** 1, 2, 3, … per account; the highest is the one new writes use. */
  version: number;
  /** Random id of this key, also written into each ciphertext header to detect a swapped store. */
  keyId: string;
  /** The master key it is wrapped under (authoritative: re-wrapping changes it). */
  masterKeyId: string;
  /** The provider's wrapped blob. */
  wrapped: Buffer;
  createdAt: string;
}

/** Names one version of an account's data key. */
export interface WrappedKeyRef {
  accountId: string;
  version: number;
}

/** Persists wrapped data keys; never sees a key in the clear. */
export interface WrappedKeyStore {
  /** One version of an account's key, or its newest when `version` is omitted; undefined when absent. */
  get(accountId: string, version?: number): Promise<WrappedDataKey | undefined>;
  /** Adds a new version; throws CONFLICT when that version already exists (a concurrent rotation won). */
  insert(key: WrappedDataKey): Promise<void>;
  /** Replaces the wrapping of an existing version, as master-key rotation does. */
  replace(key: WrappedDataKey): Promise<void>;
  /** Which keys exist (account and version), for re-wrapping them all; one unreadable key must not hide the rest. */
  list(): AsyncIterable<WrappedKeyRef>;
}
