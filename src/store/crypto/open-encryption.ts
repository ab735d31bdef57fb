// The wiring of encryption at rest: master keys from the provider the configuration names
// (`encryption.keyProvider`: the key file <dataDir>/master.key by default, or a PKCS#11 token),
// wrapped data keys under <dataDir>/keys, or in the metadata database when it is PostgreSQL
// (several nodes must share them).
import { join } from "node:path";
import { expandHome } from "../../config/loader.ts";
import type { KeyProviderConfig } from "../../config/schema.ts";
import { resolveSecret } from "../../config/secrets.ts";
import type { Queryable } from "../db/database.ts";
import { keyUnavailable } from "./crypto-errors.ts";
import { DbWrappedKeyStore } from "./db-wrapped-key-store.ts";
import { EnvelopeEncryption, type EnvelopeEncryptionOptions } from "./envelope-encryption.ts";
import { FileWrappedKeyStore } from "./file-wrapped-key-store.ts";
import type { KeyAdmin } from "./key-admin.ts";
import type { KeyProvider } from "./key-provider.ts";
import { LocalKeyProvider } from "./local-key-provider.ts";
import { Pkcs11KeyProvider } from "./pkcs11-key-provider.ts";
import type { WrappedKeyStore } from "./wrapped-key-store.ts";

/** Options of {@link openKeyProvider}. */
export interface OpenKeyProviderOptions {
  dataDir: string;
  /** The configuration's `encryption.keyProvider`; the key file <dataDir>/master.key when omitted. */
  keyProvider?: KeyProviderConfig;
}

/** An opened master-key provider and how to let go of it (sessions, handles). */
export interface OpenedKeyProvider {
  keys: KeyAdmin;
  close(): void;
}

/** The key file a `file` provider uses (<dataDir>/master.key unless `path` says otherwise); undefined for other providers. */
export function masterKeyFile(options: OpenKeyProviderOptions): string | undefined {
  const provider = options.keyProvider ?? { type: "file" };
  if (provider.type !== "file") return undefined;
  return provider.path ? expandHome(provider.path) : join(options.dataDir, "master.key");
}

/** Opens the master keys the configuration names, creating a key file or a first token key on first start. */
export async function openKeyProvider(options: OpenKeyProviderOptions): Promise<OpenedKeyProvider> {
  const provider = options.keyProvider ?? { type: "file" };
  if (provider.type === "file") {
    const keys = await LocalKeyProvider.open({ path: masterKeyFile(options)! });
    return { keys, close: () => undefined };
  }
  let pin: string;
  try {
    pin = resolveSecret(provider.pin);
  } catch (error) {
    // resolveSecret names the reference, never the value.
    throw keyUnavailable(`The PIN of the PKCS#11 token (encryption.keyProvider.pin) is unavailable: ${(error as Error).message}`);
  }
  const keys = await Pkcs11KeyProvider.open({
    module: provider.module,
    ...(provider.tokenLabel !== undefined ? { tokenLabel: provider.tokenLabel } : { slot: provider.slot! }),
    pin,
    keyLabelPrefix: provider.keyLabelPrefix,
    stateCacheMs: provider.stateCacheMs,
  });
  return { keys, close: () => keys.close() };
}

/** Options of {@link openEncryption}. */
export interface OpenEncryptionOptions extends Partial<Omit<EnvelopeEncryptionOptions, "keys" | "store">> {
  dataDir: string;
  /** Master keys, owned by the caller; when omitted, the provider `keyProvider` names is opened and closed with the result. */
  keys?: KeyProvider;
  /** The configuration's `encryption.keyProvider`; the key file <dataDir>/master.key when omitted. */
  keyProvider?: KeyProviderConfig;
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

/** Envelope encryption that also closes the key provider it opened. */
class OwningEnvelopeEncryption extends EnvelopeEncryption {
  constructor(
    options: EnvelopeEncryptionOptions,
    private readonly release: () => void,
  ) {
    super(options);
  }

  override close(): void {
    super.close();
    this.release();
  }
}

/** Opens envelope encryption for a data directory, creating the key file (or first token key) on first start. */
export async function openEncryption(options: OpenEncryptionOptions): Promise<EnvelopeEncryption> {
  const { dataDir, keyProvider, keys, store, db, onKeyConflict, ...rest } = options;
  const files = new FileWrappedKeyStore(join(dataDir, "keys"));
  const shared = db?.dialect === "postgres" ? new DbWrappedKeyStore({ db, importFrom: files, onConflict: onKeyConflict }) : undefined;
  const settings = { ...rest, store: store ?? shared ?? files };
  if (keys) return new EnvelopeEncryption({ ...settings, keys });
  const opened = await openKeyProvider({ dataDir, keyProvider });
  try {
    return new OwningEnvelopeEncryption({ ...settings, keys: opened.keys }, () => opened.close());
  } catch (error) {
    opened.close();
    throw error;
  }
}
