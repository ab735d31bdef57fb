// A token bucket rather than a sliding window: O(1) state per key, refills continuously so a
// retry hint is exact arithmetic (deficit ÷ rate) rather than "when the oldest entry ages
// out", and a settled reservation can simply be put back (refund) or overdrawn (usage above
// the reservation becomes debt that delays later requests). Capacity is one window's limit,
// so a quiet client may burst a full minute's quota at once — as "per minute" quotas allow.
//
// The level is kept in scaled units (tokens × windowMs) so that refill (elapsed ms × limit)
// and every take and refund are integer operations: no float drift, counters stay exact.

/** Options of a {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens per window; also the burst capacity. */
  limit: number;
  /** The window the limit is defined over (60,000 for "per minute"). */
  windowMs: number;
  /** The clock reading at creation, in ms; the bucket starts full. */
  now: number;
}

/** A token bucket; callers pass the clock reading, so tests control time. */
export class TokenBucket {
  readonly limit: number;
  readonly windowMs: number;
  private level: number;
  private updatedAt: number;

  constructor(options: TokenBucketOptions) {
    this.limit = options.limit;
    this.windowMs = options.windowMs;
    this.level = options.limit * options.windowMs;
    this.updatedAt = options.now;
  }

  /** A bucket at a stored level (tokens × windowMs) last refilled at `updatedAt`, as shared quota state keeps it. */
  static fromState(options: { limit: number; windowMs: number; level: number; updatedAt: number }): TokenBucket {
    const bucket = new TokenBucket({ limit: options.limit, windowMs: options.windowMs, now: options.updatedAt });
    bucket.level = options.level;
    return bucket;
  }

  /** What to store to restore the bucket later with {@link TokenBucket.fromState}. */
  state(): { level: number; updatedAt: number } {
    return { level: this.level, updatedAt: this.updatedAt };
  }

  private refill(now: number): void {
    // A wall clock may step back; never refill negatively and never move `updatedAt` back.
    if (now <= this.updatedAt) return;
    this.level = Math.min(this.limit * this.windowMs, this.level + (now - this.updatedAt) * this.limit);
    this.updatedAt = now;
  }

  /** Tokens available now (negative while in debt). */
  available(now: number): number {
    this.refill(now);
    return this.level / this.windowMs;
  }

  /** Milliseconds until `amount` tokens are available; 0 when they are now. */
  waitMs(amount: number, now: number): number {
    this.refill(now);
    const deficit = amount * this.windowMs - this.level;
    return deficit <= 0 ? 0 : Math.ceil(deficit / this.limit);
  }

  /** Takes `amount` tokens unconditionally (callers check {@link waitMs} first); may go into debt. */
  take(amount: number, now: number): void {
    this.refill(now);
    this.level -= amount * this.windowMs;
  }

  /** Puts `amount` tokens back, never above capacity. */
  refund(amount: number, now: number): void {
    this.refill(now);
    this.level = Math.min(this.limit * this.windowMs, this.level + amount * this.windowMs);
  }

  /** Whether the bucket is full (nothing to remember: it can be dropped). */
  full(now: number): boolean {
    this.refill(now);
    return this.level >= this.limit * this.windowMs;
  }
}
