// The default wiring: master keys in <dataDir>/master.key, wrapped data keys under <dataDir>/keys/,
// or in the metadata database when it is PostgreSQL (several nodes must share them). A deployment
// with a key service passes its own provider.
import { join } from "node:path";
import type { Queryable } from "../db/database.ts";
import { DbWrappedKeyStore } from "./db-wrapped-key-store.ts";
import { EnvelopeEncryption, type EnvelopeEncryptionOptions } from "./envelope-encryption.ts";
import { FileWrappedKeyStore } from "./file-wrapped-key-store.ts";
import type { KeyProvider } from "./key-provider.ts";
import { LocalKeyProvider } from "./local-key-provider.ts";
import type { WrappedKeyStore } from "./wrapped-key-store.ts";

/** Options of {@link openEncryption}. */
export interface OpenEncryptionOptions extends Partial<Omit<EnvelopeEncryptionOptions, "keys" | "store">> {
  dataDir: string;
  /** Master keys; a {@link LocalKeyProvider} on `keyFile` when omitted. */
  keys?: KeyProvider;
  /** The local key file; <dataDir>/master.key by default. */
  keyFile?: string;
  /** Wrapped data keys; by default in `db` when it is PostgreSQL, else files under <dataDir>/keys. */
  store?: WrappedKeyStore;
  /**
   * The metadata database. On PostgreSQL the wrapped data keys live in it, importing this
   * node's <dataDir>/keys on first use; it must be migrated before the first key is used.
   */
  db?: Queryable;
  /** Told about an imported key that another node had already made differently (its content is then unreadable). */
  onKeyConflict?: (ref: { accountId: string; version: number }) => void;
}

/** Opens envelope encryption for a data directory, creating the key file on first start. */
export async function openEncryption(options: OpenEncryptionOptions): Promise<EnvelopeEncryption> {
  const { dataDir, keyFile, keys, store, db, onKeyConflict, ...rest } = options;
  const files = new FileWrappedKeyStore(join(dataDir, "keys"));
  const shared = db?.dialect === "postgres" ? new DbWrappedKeyStore({ db, importFrom: files, onConflict: onKeyConflict }) : undefined;
  return new EnvelopeEncryption({
    ...rest,
    keys: keys ?? (await LocalKeyProvider.open({ path: keyFile ?? join(dataDir, "master.key") })),
    store: store ?? shared ?? files,
  });
}
