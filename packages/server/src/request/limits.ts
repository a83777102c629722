/**
 * The bound on work in flight in one process (issue 15): how many handlers
 * may be running at once and how many bytes of request data they may keep,
 * in total and per source, with a separate small reserve that the operator
 * commands fall back to so that `version`, `ps`, `mi_stats` … are answered
 * while the bound is reached. A request that finds no room is not run: it gets
 * `503 server busy` (JSON-RPC: error 503).
 *
 * Counting is a few integer operations and one Map lookup per request;
 * nothing is allocated except the first time a source is seen while it has
 * nothing in flight (its entry is deleted again when its last request ends,
 * so a flood from ever-changing sources does not grow the map past the
 * count bound).
 */

/** What every admitted request is charged besides its datagram (objects, closures, timer). */
export const REQUEST_OVERHEAD_BYTES = 1024;

/** The largest datagram a request can be (UNIX sockets; UDP is smaller). */
const LARGEST_REQUEST_BYTES = 65_536 + REQUEST_OVERHEAD_BYTES;

/** The limits, validated (see {@link resolveWorkLimits}). */
export interface WorkLimits {
  /** Handlers running at once (not counting the operator reserve). */
  readonly maxInFlight: number;
  /** Bytes of request data the running handlers keep (datagram + {@link REQUEST_OVERHEAD_BYTES} each). */
  readonly maxInFlightBytes: number;
  /** Percentage of the count and of the byte budget one source may hold (1..100). */
  readonly sourceShare: number;
  /** Operator commands running at once, on top of {@link maxInFlight} (0: no reserve). */
  readonly operatorReserve: number;
}

/** Defaults: far above what a normal MI user ever runs at once, far below what exhausts memory. */
export const DEFAULT_WORK_LIMITS: WorkLimits = {
  maxInFlight: 1000,
  maxInFlightBytes: 32 * 1024 * 1024,
  sourceShare: 25,
  operatorReserve: 32,
};

/** Smallest accepted byte budget: one request of the largest size fits. */
export const MIN_IN_FLIGHT_BYTES = LARGEST_REQUEST_BYTES;

/** Which budget a request is charged to. */
export type WorkClass = 'normal' | 'operator';

/** Counters of a limiter (for `mi_stats` and the statistics). */
export interface InFlightStats {
  /** Requests running now (operator ones included). */
  readonly inFlight: number;
  /** Bytes charged to them now. */
  readonly inFlightBytes: number;
  /** Operator requests running now (in the reserve). */
  readonly operatorInFlight: number;
  /** Sources with something in flight now. */
  readonly sources: number;
  /** Highest {@link inFlight} seen. */
  readonly peakInFlight: number;
  /** Highest {@link inFlightBytes} seen. */
  readonly peakInFlightBytes: number;
  /** Requests refused (`503 server busy`), every cause together. */
  readonly busy: number;
  /** … of which because their source held its share. */
  readonly busySource: number;
}

const NO_REFUSAL = 0;
const GLOBAL = 1;
const BY_SOURCE = 2;
type Refusal = typeof NO_REFUSAL | typeof GLOBAL | typeof BY_SOURCE;

interface SourceUsage {
  /** Requests of this source running now (both budgets). */
  count: number;
  /** Bytes charged to them. */
  bytes: number;
  /** … of which in the operator reserve. */
  operator: number;
  operatorBytes: number;
}

/**
 * The bookkeeping of {@link WorkLimits}. Callers pair every successful
 * {@link InFlightLimiter.tryAcquire} with one {@link InFlightLimiter.release}
 * with the same arguments.
 */
export class InFlightLimiter {
  readonly limits: WorkLimits;
  readonly #perSourceCount: number;
  readonly #perSourceBytes: number;
  readonly #reservePerSource: number;
  readonly #sources = new Map<string, SourceUsage>();
  #count = 0;
  #bytes = 0;
  #operator = 0;
  #operatorBytes = 0;
  #peakCount = 0;
  #peakBytes = 0;
  #busy = 0;
  #busySource = 0;

  constructor(limits: WorkLimits = DEFAULT_WORK_LIMITS) {
    this.limits = limits;
    const share = limits.sourceShare / 100;
    this.#perSourceCount = Math.max(1, Math.floor(limits.maxInFlight * share));
    this.#perSourceBytes = Math.max(
      MIN_IN_FLIGHT_BYTES,
      Math.floor(limits.maxInFlightBytes * share),
    );
    this.#reservePerSource = Math.max(1, Math.floor(limits.operatorReserve * share));
  }

  /** How many requests one source may have running (normal budget). */
  get perSourceCount(): number {
    return this.#perSourceCount;
  }

  /** How many bytes one source may have charged (normal budget). */
  get perSourceBytes(): number {
    return this.#perSourceBytes;
  }

  /** How many operator requests one source may have running (reserve). */
  get reservePerSource(): number {
    return this.#reservePerSource;
  }

  /** Requests running now (both budgets). */
  get inFlight(): number {
    return this.#count;
  }

  /**
   * Charges one request of `datagramBytes` from `source` (any stable key:
   * the UNIX peer path, the UDP peer address). Every request is charged to
   * the normal budget while it has room; an operator request (`kind`
   * `'operator'`) that finds it full goes to the reserve instead, so the
   * reserve is what is left when everything else is taken, not a ceiling on
   * operator commands (sixteen `ps` in parallel from one monitoring host
   * must not get `503` on an idle server). Returns the budget charged, to
   * pass to {@link release}; null (counted as busy) when there is no room:
   * then nothing is charged and the request must not run.
   */
  tryAcquire(source: string, datagramBytes: number, kind: WorkClass): WorkClass | null {
    const bytes = datagramBytes + REQUEST_OVERHEAD_BYTES;
    const usage = this.#sources.get(source);
    const refusal = this.#normalRefusal(usage, bytes);
    if (refusal === NO_REFUSAL) {
      this.#charge(source, usage, bytes, 0);
      return 'normal';
    }
    if (kind !== 'operator') return this.#refuse(refusal === BY_SOURCE);
    // The reserve: only operator requests use it, so a flood of other
    // commands cannot take it. Its bytes are bounded by its count (a
    // datagram is at most 64 KiB).
    if (this.#operator >= this.limits.operatorReserve) return this.#refuse(false);
    if (usage !== undefined && usage.operator >= this.#reservePerSource) return this.#refuse(true);
    this.#charge(source, usage, bytes, 1);
    return 'operator';
  }

  /** Why the normal budget has no room for `bytes` more from a source with `usage`. */
  #normalRefusal(usage: SourceUsage | undefined, bytes: number): Refusal {
    const limits = this.limits;
    if (this.#count - this.#operator >= limits.maxInFlight) return GLOBAL;
    if (this.#bytes - this.#operatorBytes + bytes > limits.maxInFlightBytes) return GLOBAL;
    if (usage !== undefined) {
      if (usage.count - usage.operator >= this.#perSourceCount) return BY_SOURCE;
      if (usage.bytes - usage.operatorBytes + bytes > this.#perSourceBytes) return BY_SOURCE;
    }
    return NO_REFUSAL;
  }

  #charge(source: string, usage: SourceUsage | undefined, bytes: number, operator: 0 | 1): void {
    const operatorBytes = operator * bytes;
    if (usage === undefined) {
      this.#sources.set(source, { count: 1, bytes, operator, operatorBytes });
    } else {
      usage.count++;
      usage.bytes += bytes;
      usage.operator += operator;
      usage.operatorBytes += operatorBytes;
    }
    this.#count++;
    this.#bytes += bytes;
    this.#operator += operator;
    this.#operatorBytes += operatorBytes;
    if (this.#count > this.#peakCount) this.#peakCount = this.#count;
    if (this.#bytes > this.#peakBytes) this.#peakBytes = this.#bytes;
  }

  /** Gives back what {@link tryAcquire} charged (same source and bytes; `kind`: the budget it returned). */
  release(source: string, datagramBytes: number, kind: WorkClass): void {
    const usage = this.#sources.get(source);
    if (usage === undefined) return; // nothing charged: nothing to give back
    const bytes = datagramBytes + REQUEST_OVERHEAD_BYTES;
    const operator = kind === 'operator' ? 1 : 0;
    const operatorBytes = operator * bytes;
    if (usage.count <= 1) this.#sources.delete(source);
    else {
      usage.count--;
      usage.bytes -= bytes;
      usage.operator -= operator;
      usage.operatorBytes -= operatorBytes;
    }
    this.#count--;
    this.#bytes -= bytes;
    this.#operator -= operator;
    this.#operatorBytes -= operatorBytes;
  }

  stats(): InFlightStats {
    return {
      inFlight: this.#count,
      inFlightBytes: this.#bytes,
      operatorInFlight: this.#operator,
      sources: this.#sources.size,
      peakInFlight: this.#peakCount,
      peakInFlightBytes: this.#peakBytes,
      busy: this.#busy,
      busySource: this.#busySource,
    };
  }

  #refuse(bySource: boolean): null {
    this.#busy++;
    if (bySource) this.#busySource++;
    return null;
  }
}
