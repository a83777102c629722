import type { SendOutcome, TransportStats } from '@mi-datagram/protocol';
import type { ResolvedOptions } from './options.js';

/** Retry cadence for replies that met EAGAIN: 1 ms, doubling up to 32 ms. */
const RETRY_FIRST_MS = 1;
const RETRY_MAX_MS = 32;

/** {@link TransportStats} plus the reasons replies were dropped. */
export interface UnixTransportStats extends TransportStats {
  /** Bytes of replies waiting for a retry right now. */
  readonly pendingBytes: number;
  /** Dropped because `socketTimeout` passed while the peer's queue stayed full. */
  readonly droppedTimeout: number;
  /** Dropped because `maxPendingReplies`, `maxPendingBytes` or `maxPendingPerPeer` was reached. */
  readonly droppedLimit: number;
  /** Dropped because the peer is gone or refused (ENOENT, ECONNREFUSED, EACCES, …). */
  readonly droppedUnreachable: number;
  /** Dropped because the peer is an unbound socket (`null`): it cannot be answered. */
  readonly droppedUnanswerable: number;
  /** Dropped because the transport was closed with them still pending. */
  readonly droppedClosed: number;
}

/** The transport's counters (see UnixTransportStats). */
export interface Counters {
  received: number;
  truncated: number;
  sent: number;
  retried: number;
  dropped: number;
  droppedTimeout: number;
  droppedLimit: number;
  droppedUnreachable: number;
  droppedUnanswerable: number;
  droppedClosed: number;
}

export function newCounters(): Counters {
  return {
    received: 0,
    truncated: 0,
    sent: 0,
    retried: 0,
    dropped: 0,
    droppedTimeout: 0,
    droppedLimit: 0,
    droppedUnreachable: 0,
    droppedUnanswerable: 0,
    droppedClosed: 0,
  };
}

interface Pending {
  readonly data: Uint8Array;
  readonly deadline: number;
  /** The requester's uid when the reply was queued: each retry is checked against it. */
  readonly uid: number;
}

/** What the queue needs from its transport. */
export interface ReplyQueueHost {
  readonly options: ResolvedOptions;
  readonly counters: Counters;
  /** Bytes sent or a negative errno (-EAGAIN: still full). */
  sendNow(data: Uint8Array, peer: string, uid: number): number;
  unreachable(peer: string, r: number): void;
}

/**
 * Replies that met a full peer queue (EAGAIN), retried in order per peer until
 * `socketTimeout`. A retry goes through the same checks as the first send
 * (with the uid the request came with), so a path swapped meanwhile for
 * another socket gets the reply only if the requester owns that socket.
 */
export class ReplyQueue {
  readonly #host: ReplyQueueHost;
  readonly #eagain: number;
  /** Per-peer FIFO of replies waiting for the peer's queue to drain. */
  readonly #pending = new Map<string, Pending[]>();
  #count = 0;
  #bytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #delay = RETRY_FIRST_MS;
  #refed = true;
  #stopped = false;

  constructor(host: ReplyQueueHost, eagain: number) {
    this.#host = host;
    this.#eagain = eagain;
  }

  get count(): number {
    return this.#count;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** True while replies to `peer` wait (a new one must queue behind them). */
  has(peer: string): boolean {
    return this.#pending.has(peer);
  }

  enqueue(peer: string, data: Uint8Array, uid: number): SendOutcome {
    const o = this.#host.options;
    const c = this.#host.counters;
    const queue = this.#pending.get(peer);
    c.retried++;
    if (
      this.#count >= o.maxPendingReplies ||
      this.#bytes + data.byteLength > o.maxPendingBytes ||
      (queue?.length ?? 0) >= o.maxPendingPerPeer ||
      o.socketTimeout === 0
    ) {
      c.dropped++;
      if (o.socketTimeout === 0) c.droppedTimeout++;
      else c.droppedLimit++;
      return 'dropped';
    }
    const item: Pending = {
      data: data.slice(),
      deadline: performance.now() + o.socketTimeout,
      uid,
    };
    if (queue === undefined) this.#pending.set(peer, [item]);
    else queue.push(item);
    this.#count++;
    this.#bytes += data.byteLength;
    this.#schedule();
    return 'queued';
  }

  /** Retries now rather than at the next tick (a peer that just sent has likely drained). */
  flushNow(): void {
    if (this.#count === 0 || this.#stopped) return;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#retry();
  }

  ref(): void {
    this.#refed = true;
    this.#timer?.ref();
  }

  unref(): void {
    this.#refed = false;
    this.#timer?.unref();
  }

  /** Drops everything (counted as droppedClosed) and stops for good. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const c = this.#host.counters;
    c.dropped += this.#count;
    c.droppedClosed += this.#count;
    this.#pending.clear();
    this.#count = 0;
    this.#bytes = 0;
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#count === 0 || this.#stopped) return;
    this.#timer = setTimeout(this.#retry, this.#delay);
    if (!this.#refed) this.#timer.unref();
  }

  #retry = (): void => {
    this.#timer = undefined;
    if (this.#stopped) return;
    const now = performance.now();
    const host = this.#host;
    const c = host.counters;
    let progressed = false;
    for (const [peer, queue] of this.#pending) {
      let i = 0;
      for (; i < queue.length; i++) {
        const item = queue[i]!;
        if (item.deadline <= now) {
          c.dropped++;
          c.droppedTimeout++;
          this.#bytes -= item.data.byteLength;
          continue;
        }
        const r = host.sendNow(item.data, peer, item.uid);
        if (r === -this.#eagain) break;
        this.#bytes -= item.data.byteLength;
        if (r >= 0) {
          c.sent++;
          progressed = true;
        } else {
          host.unreachable(peer, r);
        }
      }
      if (i > 0) {
        this.#count -= i;
        if (i === queue.length) this.#pending.delete(peer);
        else queue.splice(0, i);
      }
    }
    this.#delay = progressed ? RETRY_FIRST_MS : Math.min(this.#delay * 2, RETRY_MAX_MS);
    if (this.#count > 0) {
      // Never sleep past the earliest deadline: a timed-out reply is dropped on time.
      let earliest = Number.POSITIVE_INFINITY;
      for (const queue of this.#pending.values()) {
        const d = queue[0]?.deadline;
        if (d !== undefined && d < earliest) earliest = d;
      }
      this.#delay = Math.max(1, Math.min(this.#delay, Math.ceil(earliest - now)));
      this.#schedule();
    } else {
      this.#delay = RETRY_FIRST_MS;
    }
  };
}
