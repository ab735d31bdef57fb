// Wrapped data keys in the metadata database (migration 0006), for several nodes on PostgreSQL:
// a data key one node creates must unwrap on every other, which files under one node's
// <dataDir>/keys cannot give. The primary key (account, version) makes "insert a version only
// if absent" atomic across nodes, as the file store's exclusive create does within one host.
// Keys a node kept in files before are imported once, on first use, so their content stays readable.
import { BasaltError } from "../../spec/errors.ts";
import type { Queryable } from "../db/database.ts";
import { keyUnavailable } from "./crypto-errors.ts";
import type { WrappedDataKey, WrappedKeyRef, WrappedKeyStore } from "./wrapped-key-store.ts";

/** Options of {@link DbWrappedKeyStore}. */
export interface DbWrappedKeyStoreOptions {
  db: Queryable;
  /** A store whose keys are copied in (where absent) before first use: the node's former file store. */
  importFrom?: WrappedKeyStore;
  /** Told about imported keys that conflict with a different key already in the database. */
  onConflict?: (ref: WrappedKeyRef) => void;
}

interface Row {
  account_id: string;
  version: number;
  key_id: string;
  master_key_id: string;
  wrapped: string;
  created_at: string;
}

function toKey(row: Row): WrappedDataKey {
  return {
    accountId: row.account_id,
    version: Number(row.version),
    keyId: row.key_id,
    masterKeyId: row.master_key_id,
    wrapped: Buffer.from(row.wrapped, "base64"),
    createdAt: row.created_at,
  };
}

/** A {@link WrappedKeyStore} on the metadata database. */
export class DbWrappedKeyStore implements WrappedKeyStore {
  private readonly db: Queryable;
  private readonly importFrom: WrappedKeyStore | undefined;
  private readonly onConflict: (ref: WrappedKeyRef) => void;
  private imported: Promise<void> | undefined;

  constructor(options: DbWrappedKeyStoreOptions) {
    this.db = options.db;
    this.importFrom = options.importFrom;
    this.onConflict = options.onConflict ?? (() => {});
  }

  async get(accountId: string, version?: number): Promise<WrappedDataKey | undefined> {
    await this.ready();
    const rows =
      version === undefined
        ? await this.db.query<Row>("SELECT * FROM wrapped_data_keys WHERE account_id = $1 ORDER BY version DESC LIMIT 1", [accountId])
        : await this.db.query<Row>("SELECT * FROM wrapped_data_keys WHERE account_id = $1 AND version = $2", [accountId, version]);
    return rows[0] ? toKey(rows[0]) : undefined;
  }

  async insert(key: WrappedDataKey): Promise<void> {
    await this.ready();
    if (!(await this.insertIfAbsent(key))) {
      throw new BasaltError("CONFLICT", `Data key version ${key.version} of account ${key.accountId} already exists.`);
    }
  }

  async replace(key: WrappedDataKey): Promise<void> {
    await this.ready();
    // Replace never creates: a version appears only through insert.
    const { changes } = await this.db.execute(
      "UPDATE wrapped_data_keys SET master_key_id = $3, wrapped = $4 WHERE account_id = $1 AND version = $2 AND key_id = $5",
      [key.accountId, key.version, key.masterKeyId, key.wrapped.toString("base64"), key.keyId],
    );
    if (changes === 0) throw keyUnavailable(`Data key version ${key.version} of account ${key.accountId} does not exist in the key store.`);
  }

  async *list(): AsyncIterable<WrappedKeyRef> {
    await this.ready();
    const rows = await this.db.query<{ account_id: string; version: number }>("SELECT account_id, version FROM wrapped_data_keys ORDER BY account_id, version");
    for (const row of rows) yield { accountId: row.account_id, version: Number(row.version) };
  }

  private async insertIfAbsent(key: WrappedDataKey): Promise<boolean> {
    const { changes } = await this.db.execute(
      `INSERT INTO wrapped_data_keys (account_id, version, key_id, master_key_id, wrapped, created_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (account_id, version) DO NOTHING`,
      [key.accountId, key.version, key.keyId, key.masterKeyId, key.wrapped.toString("base64"), key.createdAt],
    );
    return changes > 0;
  }

  /** Imports the former store's keys once; a failed import is retried by the next call. */
  private ready(): Promise<void> {
    if (!this.importFrom) return Promise.resolve();
    this.imported ??= this.importAll(this.importFrom).catch((error: unknown) => {
      this.imported = undefined;
      throw error;
    });
    return this.imported;
  }

  private async importAll(from: WrappedKeyStore): Promise<void> {
    for await (const ref of from.list()) {
      const key = await from.get(ref.accountId, ref.version);
      if (!key || (await this.insertIfAbsent(key))) continue;
      const [existing] = await this.db.query<{ key_id: string }>("SELECT key_id FROM wrapped_data_keys WHERE account_id = $1 AND version = $2", [ref.accountId, ref.version]);
      // Another node made its own key for this version before the keys were shared: content
      // sealed with this node's copy cannot be opened any more, and an operator should know.
      if (existing?.key_id !== key.keyId) this.onConflict(ref);
    }
  }
}
