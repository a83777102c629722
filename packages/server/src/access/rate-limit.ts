/**
 * Per-source rate limit (`rate_limit`): one token bucket per source address,
 * `rate` tokens per second with a burst of one second (`rate` tokens); a
 * request takes one token, and a request that finds none is refused.
 *
 * Bounded memory: the table holds at most `maxSources` buckets. A bucket
 * that has refilled completely (its source idle for up to one second) is
 * equivalent to no bucket, so it is evicted without changing any decision.
 * When the table is full of active buckets (more than `maxSources` sources
 * busy within one second, e.g. spoofed sources), new sources share one
 * overflow bucket of the same rate: together they cannot exceed the limit,
 * established sources keep theirs, and nothing grows.
 */

/** Default bound of the bucket table, per listener (a few hundred KiB at most). */
export const RATE_LIMIT_MAX_SOURCES = 4096;

/** Least time between two sweeps of a full table, in ms. */
const SWEEP_INTERVAL_MS = 100;

interface Bucket {
  tokens: number;
  last: number;
}

export interface RateLimiterOptions {
  /** Bound of the bucket table. Default {@link RATE_LIMIT_MAX_SOURCES}. */
  readonly maxSources?: number;
  /** Monotonic clock in ms. Default `performance.now`. */
  readonly now?: () => number;
}

export class RateLimiter {
  /** Tokens per second, and the burst. */
  readonly rate: number;
  readonly maxSources: number;
  readonly #perMs: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();
  readonly #overflow: Bucket;
  #nextSweep = Number.NEGATIVE_INFINITY;
  /** Buckets removed because their source went idle. */
  evicted = 0;
  /** Requests of sources that found the table full (served by the overflow bucket). */
  overflowed = 0;

  constructor(rate: number, options: RateLimiterOptions = {}) {
    if (!Number.isSafeInteger(rate) || rate < 1) {
      throw new TypeError(`rate limit must be a positive integer, got ${rate}`);
    }
    this.rate = rate;
    this.maxSources = options.maxSources ?? RATE_LIMIT_MAX_SOURCES;
    this.#perMs = rate / 1000;
    this.#now = options.now ?? (() => performance.now());
    this.#overflow = { tokens: rate, last: this.#now() };
  }

  /** Buckets in the table right now. */
  get sources(): number {
    return this.#buckets.size;
  }

  /**
   * Takes a token for `source`: true when the request may run. `at`: the
   * current time if the caller already read the limiter's clock
   * (`performance.now()` unless another was given), to save reading it again.
   */
  take(source: string, at?: number): boolean {
    const now = at ?? this.#now();
    let bucket = this.#buckets.get(source);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.maxSources) this.#sweep(now);
      if (this.#buckets.size >= this.maxSources) {
        this.overflowed++;
        bucket = this.#overflow;
      } else {
        bucket = { tokens: this.rate, last: now };
        this.#buckets.set(source, bucket);
      }
    }
    let tokens = bucket.tokens + (now - bucket.last) * this.#perMs;
    if (tokens > this.rate) tokens = this.rate;
    bucket.last = now;
    if (tokens >= 1) {
      bucket.tokens = tokens - 1;
      return true;
    }
    bucket.tokens = tokens;
    return false;
  }

  /** Removes the buckets that have refilled completely (at most every 100 ms). */
  #sweep(now: number): void {
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + SWEEP_INTERVAL_MS;
    for (const [source, bucket] of this.#buckets) {
      if (bucket.tokens + (now - bucket.last) * this.#perMs >= this.rate) {
        this.#buckets.delete(source);
        this.evicted++;
      }
    }
  }
}
