// The administrative side of a master-key provider, as KMS names it (ListKeys, CreateKey,
// EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion): what `basalt keys` drives and
// what the shared conformance suite (test/conformance/key-provider.ts) checks every provider for.
import type { KeyProvider, MasterKeyDescription } from "./key-provider.ts";

/** A {@link KeyProvider} that can also create keys and change their states. */
export interface KeyAdmin extends KeyProvider {
  /** Every key's description, primary first. */
  listKeys(): Promise<MasterKeyDescription[]>;
  /** Adds a fresh ENABLED key; `primary` makes new data keys wrap under it. */
  createKey(options?: { primary?: boolean }): Promise<MasterKeyDescription>;
  /** Makes an ENABLED key the one new data keys wrap under. */
  setPrimaryKey(keyId: string): Promise<void>;
  /** KMS EnableKey: a DISABLED key becomes usable again; a key pending deletion must be cancelled first. */
  enableKey(keyId: string): Promise<MasterKeyDescription>;
  /** KMS DisableKey: everything under the key fails closed until it is enabled again. */
  disableKey(keyId: string): Promise<MasterKeyDescription>;
  /** KMS ScheduleKeyDeletion: unusable now, destroyed by {@link purgeDeletedKeys} after 7-30 days. */
  scheduleKeyDeletion(keyId: string, pendingWindowDays?: number): Promise<MasterKeyDescription>;
  /** KMS CancelKeyDeletion: the key returns as DISABLED. */
  cancelKeyDeletion(keyId: string): Promise<MasterKeyDescription>;
  /** Destroys keys whose deletion date has passed (never the primary); returns their ids. */
  purgeDeletedKeys(): Promise<string[]>;
}

/** KMS's pending window for a key deletion, in days. */
export const PENDING_WINDOW_DAYS = { min: 7, max: 30 } as const;
