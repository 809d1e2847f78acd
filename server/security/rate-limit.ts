/**
 * Token-bucket rate limits per key (an ingest key, an address, a user name): `rate` requests a
 * second on average, bursts up to `burst`. A refused request is answered 429 with Retry-After
 * (SPEC §6), so a misbehaving client slows down instead of taking the server with it.
 */
import { HttpError } from '../errors.ts';

interface Bucket {
  tokens: number;
  atMs: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  /** `rate` ≤ 0 turns the limit off. */
  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
    /** Buckets kept at most (idle ones are dropped first), so random keys cannot fill memory. */
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes one token for `key`; returns the seconds to wait when there is none. */
  take(key: string): number {
    if (this.rate <= 0) return 0;
    const nowMs = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.sweep(nowMs);
      bucket = { tokens: this.burst, atMs: nowMs };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((nowMs - bucket.atMs) / 1000) * this.rate);
    bucket.atMs = nowMs;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.rate));
  }

  /** Throws 429 naming what was limited when `key` has no token left. */
  check(key: string, what: string): void {
    const waitSec = this.take(key);
    if (waitSec > 0) throw new RateLimited(waitSec, `rate limit: too many requests ${what}; retry in ${waitSec} s`);
  }

  private sweep(nowMs: number): void {
    // Full buckets carry no state worth keeping.
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((nowMs - bucket.atMs) / 1000) * this.rate >= this.burst) this.buckets.delete(key);
    }
    if (this.buckets.size >= this.maxKeys) this.buckets.clear();
  }
}

export class RateLimited extends HttpError {
  constructor(
    readonly retryAfterSec: number,
    message: string,
  ) {
    super(429, message);
  }
}
