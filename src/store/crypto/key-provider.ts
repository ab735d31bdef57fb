// The master-key side of envelope encryption. Shaped after AWS KMS (Encrypt/Decrypt with an
// encryption context, DescribeKey, RotateKeyOnDemand) so a KMS-backed provider can implement
// it with one API call per method; the local key-file provider is the default.

/** A master key's lifecycle state, as KMS names them (Enabled, Disabled, PendingDeletion). */
export type MasterKeyState = "ENABLED" | "DISABLED" | "PENDING_DELETION";

/** What a provider tells about one master key; never its material. */
export interface MasterKeyDescription {
  keyId: string;
  state: MasterKeyState;
  /** The key version new wraps use; older versions still unwrap. */
  currentVersion: number;
  /** ISO time after which a PENDING_DELETION key is destroyed. */
  deletionDate?: string;
}

/**
 * Strings bound into a wrap as authenticated data (KMS's EncryptionContext): unwrapping
 * with a different context fails, so a wrapped key cannot be moved to another account.
 */
export type WrapContext = Readonly<Record<string, string>>;

/** Called when a provider learns that a key's state changed. */
export type KeyStateListener = (keyId: string, state: MasterKeyState) => void;

/** Wraps and unwraps data keys under master keys it holds (a key file, a key service). */
export interface KeyProvider {
  /** The key that new data keys are wrapped under. */
  primaryKeyId(): Promise<string>;
  /** The key's state; throws KEY_UNAVAILABLE for an unknown key. Called on every use, so keep it cheap. */
  describe(keyId: string): Promise<MasterKeyDescription>;
  /** Encrypts a data key under the key's current version; throws KEY_UNAVAILABLE unless ENABLED. */
  wrap(keyId: string, dataKey: Buffer, context: WrapContext): Promise<Buffer>;
  /** Decrypts a wrapped data key; throws KEY_UNAVAILABLE unless ENABLED or when the blob does not authenticate. */
  unwrap(keyId: string, wrapped: Buffer, context: WrapContext): Promise<Buffer>;
  /** Gives the key a new current version; older versions keep unwrapping what they wrapped. */
  rotate(keyId: string): Promise<MasterKeyDescription>;
  /** Subscribes to state changes the provider learns of; returns the unsubscribe function. */
  watch?(listener: KeyStateListener): () => void;
}
