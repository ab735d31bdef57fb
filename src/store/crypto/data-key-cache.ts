// Unwrapped data keys, kept briefly so a busy account does not unwrap on every write. Bounded
// (least recently used goes first) and short-lived, so a key disabled in a key service that
// cannot tell us stops working within one TTL at worst; providers that can tell us clear it at once.
import type { KeyObject } from "node:crypto";

/** An unwrapped data key with what is needed to use and check it. */
export interface CachedDataKey {
  accountId: string;
  version: number;
  keyId: string;
  masterKeyId: string;
  key: KeyObject;
}

/** Options of a {@link DataKeyCache}. */
export interface DataKeyCacheOptions {
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
}

interface Slot<T> {
  value: T;
  expiresAt: number;
}

/** A TTL + LRU cache of unwrapped data keys, and of which version is each account's newest. */
export class DataKeyCache {
  private readonly keys = new Map<string, Slot<CachedDataKey>>();
  private readonly newest = new Map<string, Slot<number>>();
  private readonly now: () => number;

  constructor(private readonly options: DataKeyCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  /** A cached key, if fresh. */
  get(accountId: string, version: number): CachedDataKey | undefined {
    return this.take(this.keys, slotName(accountId, version));
  }

  /** The account's newest key, if both the pointer and the key are fresh. */
  getNewest(accountId: string): CachedDataKey | undefined {
    const version = this.take(this.newest, accountId);
    return version === undefined ? undefined : this.get(accountId, version);
  }

  /** Caches a key; `newest` marks it as the account's current version. */
  set(entry: CachedDataKey, newest: boolean): void {
    if (this.options.ttlMs <= 0 || this.options.maxEntries <= 0) return;
    const expiresAt = this.now() + this.options.ttlMs;
    this.put(this.keys, slotName(entry.accountId, entry.version), { value: entry, expiresAt });
    if (newest) this.put(this.newest, entry.accountId, { value: entry.version, expiresAt });
  }

  /** Drops the account's newest-version pointer (after a rotation elsewhere). */
  forgetNewest(accountId: string): void {
    this.newest.delete(accountId);
  }

  /** Drops every key wrapped under a master key, e.g. when it was disabled. */
  forgetMasterKey(masterKeyId: string): void {
    for (const [name, slot] of this.keys) if (slot.value.masterKeyId === masterKeyId) this.keys.delete(name);
  }

  /** Drops everything. */
  clear(): void {
    this.keys.clear();
    this.newest.clear();
  }

  /** How many keys are held, for tests and metrics. */
  get size(): number {
    return this.keys.size;
  }

  private take<T>(map: Map<string, Slot<T>>, name: string): T | undefined {
    const slot = map.get(name);
    if (!slot) return undefined;
    map.delete(name);
    if (slot.expiresAt <= this.now()) return undefined;
    map.set(name, slot); // re-insert: Map order is the LRU order
    return slot.value;
  }

  private put<T>(map: Map<string, Slot<T>>, name: string, slot: Slot<T>): void {
    map.delete(name);
    map.set(name, slot);
    while (map.size > this.options.maxEntries) map.delete(map.keys().next().value!);
  }
}

function slotName(accountId: string, version: number): string {
  return `${version}\u0000${accountId}`;
}
