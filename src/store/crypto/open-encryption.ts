// The default wiring: master keys in <dataDir>/master.key, wrapped data keys under <dataDir>/keys/.
// A deployment with a key service or the metadata database passes its own provider or store.
import { join } from "node:path";
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
  /** Wrapped data keys; files under <dataDir>/keys when omitted. */
  store?: WrappedKeyStore;
}

/** Opens envelope encryption for a data directory, creating the key file on first start. */
export async function openEncryption(options: OpenEncryptionOptions): Promise<EnvelopeEncryption> {
  const { dataDir, keyFile, keys, store, ...rest } = options;
  return new EnvelopeEncryption({
    ...rest,
    keys: keys ?? (await LocalKeyProvider.open({ path: keyFile ?? join(dataDir, "master.key") })),
    store: store ?? new FileWrappedKeyStore(join(dataDir, "keys")),
  });
}
