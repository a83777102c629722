/**
 * Latency histograms: one fixed log-linear histogram per command (16 buckets per
 * power of two, exact below 16 µs, at most 1/16 = 6.25 % too high above):
 * recording one is a few integer operations on a preallocated Uint32Array,
 * nothing is allocated per request, and memory is fixed (1.8 KiB per command).
 */

const SUB_BITS = 4;
const SUB = 1 << SUB_BITS;
/** Buckets up to 2^31 µs (about 36 minutes); larger values land in the last one. */
export const BUCKETS = (31 - SUB_BITS + 1) * SUB;

/** Histogram bucket of a latency in µs. */
export function latencyBucket(us: number): number {
  const v = us >= 0x7fffffff ? 0x7fffffff : us > 0 ? Math.floor(us) : 0;
  if (v < SUB) return v;
  const e = 31 - Math.clz32(v);
  return (e - SUB_BITS + 1) * SUB + ((v >>> (e - SUB_BITS)) & (SUB - 1));
}

/** Largest µs value of a bucket. */
export function bucketUpperBound(index: number): number {
  if (index < SUB) return index;
  const e = Math.floor(index / SUB) + SUB_BITS - 1;
  const low = (SUB + (index % SUB)) * 2 ** (e - SUB_BITS);
  return low + 2 ** (e - SUB_BITS) - 1;
}

/** Latencies of one command (µs). */
export class LatencyHistogram {
  readonly #counts = new Uint32Array(BUCKETS);
  count = 0;
  max = 0;

  record(us: number): void {
    const i = latencyBucket(us);
    this.#counts[i] = (this.#counts[i] as number) + 1;
    this.count++;
    if (us > this.max) this.max = us;
  }

  /** The non-empty buckets as flat `[bucket, count, bucket, count, …]` pairs (JSON, for another process). */
  buckets(): number[] {
    const out: number[] = [];
    for (let i = 0; i < BUCKETS; i++) {
      const n = this.#counts[i] as number;
      if (n !== 0) out.push(i, n);
    }
    return out;
  }

  /** Adds another histogram's {@link buckets} (bucket by bucket), its count and max. */
  merge(buckets: readonly number[], maxUs: number): void {
    for (let k = 0; k + 1 < buckets.length; k += 2) {
      const i = buckets[k] as number;
      const n = buckets[k + 1] as number;
      this.#counts[i] = (this.#counts[i] as number) + n;
      this.count += n;
    }
    if (maxUs > this.max) this.max = maxUs;
  }

  /**
   * The `q` quantile (0 < q <= 1) in whole µs: the upper bound of the bucket
   * holding the ceil(q × count)-th value, never above the largest value
   * recorded. 0 when empty.
   */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i] as number;
      if (seen >= rank) return Math.min(bucketUpperBound(i), Math.ceil(this.max));
    }
    return Math.ceil(this.max);
  }
}

/** Calls and latency of one command. */
export interface CommandStats {
  readonly name: string;
  /** Requests that reached the handler (or the cached reply), refused ones excluded. */
  readonly calls: number;
  /** From the handler's start to the reply handed to the transport, in µs. */
  readonly p50Us: number;
  readonly p90Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
}

/** The {@link CommandStats} of one command's histogram. */
export function commandStats(name: string, h: LatencyHistogram): CommandStats {
  return {
    name,
    calls: h.count,
    p50Us: h.quantile(0.5),
    p90Us: h.quantile(0.9),
    p99Us: h.quantile(0.99),
    maxUs: Math.ceil(h.max),
  };
}

export function byName(a: CommandStats, b: CommandStats): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
