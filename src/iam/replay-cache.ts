// Remembers the signatures of accepted requests until their timestamps leave the clock-skew
// window; after that the skew check refuses a replay on its own. One node only: several
// Basalt nodes behind a balancer share db-replay-cache.ts instead (replayGuardFor picks).

/** Answers whether a signature was already used, recording it if not. */
export interface ReplayGuard {
  /** True when `signature` was seen before and is still remembered; otherwise records it until `expiresAtMs`. */
  checkAndRecord(signature: string, expiresAtMs: number): boolean | Promise<boolean>;
}

/** Options of {@link ReplayCache}. */
export interface ReplayCacheOptions {
  /** Most signatures kept; beyond it the oldest are forgotten first. */
  maxEntries?: number;
  now?: () => number;
}

/** An in-memory, bounded {@link ReplayGuard}. */
export class ReplayCache implements ReplayGuard {
  private readonly entries = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: ReplayCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 200_000;
    this.now = options.now ?? Date.now;
  }

  checkAndRecord(signature: string, expiresAtMs: number): boolean {
    const now = this.now();
    const known = this.entries.get(signature);
    if (known !== undefined && known > now) return true;
    this.sweep(now);
    // Re-inserting moves the key to the end, keeping the Map roughly ordered by time.
    this.entries.delete(signature);
    this.entries.set(signature, expiresAtMs);
    return false;
  }

  /** Signatures remembered now. */
  get size(): number {
    return this.entries.size;
  }

  private sweep(now: number): void {
    // Entries arrive in about the order they expire (timestamps sit within the skew window
    // of "now"), so dropping expired ones from the front is amortized O(1) per request.
    for (const [signature, expiresAt] of this.entries) {
      if (expiresAt > now && this.entries.size < this.maxEntries) break;
      this.entries.delete(signature);
    }
  }
}
