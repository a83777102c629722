/**
 * The accounting of a {@link UdpTransport}'s outstanding sends: handed to
 * `node:dgram` and not yet reported complete. Sizes and start times sit in
 * a ring, oldest first: node:dgram completes the sends of one socket in the
 * order they were made (IP-literal peers only), so the oldest completion is
 * the head. One timer gives up sends older than `socket_timeout`.
 */

/** What the ledger reports to its transport. */
export interface LedgerEvents {
  /** Whether the transport is closed (then a failed completion was cancelled by close). */
  closed(): boolean;
  /** A send the kernel refused (already counted in `droppedError`). */
  failed(error: Error): void;
  /** `count` sends just given up after `timeoutMs` (already counted in `droppedTimeout`). */
  timedOut(count: number, timeoutMs: number): void;
}

const INITIAL_RING_CAPACITY = 16;

export class SendLedger {
  sent = 0;
  droppedTimeout = 0;
  droppedError = 0;
  droppedClosed = 0;
  lateSent = 0;
  outstanding = 0;
  outstandingBytes = 0;

  readonly #socketTimeout: number;
  readonly #events: LedgerEvents;
  // Growth is by doubling, up to maxPendingReplies.
  #ringSize: Int32Array = new Int32Array(INITIAL_RING_CAPACITY);
  #ringTime: Float64Array = new Float64Array(INITIAL_RING_CAPACITY);
  #ringMask = INITIAL_RING_CAPACITY - 1;
  #head = 0;
  /** The first `#givenUp` outstanding sends have passed socketTimeout and are already counted dropped. */
  #givenUp = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(socketTimeout: number, events: LedgerEvents) {
    this.#socketTimeout = socketTimeout;
    this.#events = events;
  }

  /** Records a send about to be handed over (before, so that a completion reported at once finds it). */
  push(length: number): void {
    if (this.outstanding > this.#ringMask) this.#grow();
    const index = (this.#head + this.outstanding) & this.#ringMask;
    this.#ringSize[index] = length;
    this.#ringTime[index] = performance.now();
    this.outstanding++;
    this.outstandingBytes += length;
    if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#sweep, this.#socketTimeout);
      this.#timer.unref();
    }
  }

  /** The newest send, of `length` bytes, failed while being handed over: counted dropped. */
  failNewest(length: number): void {
    this.outstanding--;
    this.outstandingBytes -= length;
    this.droppedError++;
  }

  /** Whatever never completed is dropped now (the socket closed). */
  dropAll(): void {
    this.droppedClosed += this.outstanding - this.#givenUp;
    this.outstanding = 0;
    this.outstandingBytes = 0;
    this.#givenUp = 0;
  }

  #grow(): void {
    const capacity = (this.#ringMask + 1) * 2;
    const sizes = new Int32Array(capacity);
    const times = new Float64Array(capacity);
    for (let i = 0; i < this.outstanding; i++) {
      const from = (this.#head + i) & this.#ringMask;
      sizes[i] = this.#ringSize[from] ?? 0;
      times[i] = this.#ringTime[from] ?? 0;
    }
    this.#ringSize = sizes;
    this.#ringTime = times;
    this.#ringMask = capacity - 1;
    this.#head = 0;
  }

  /** The one completion callback of every send (no closure per datagram). */
  readonly onSendDone = (error: Error | null): void => {
    if (this.outstanding === 0) return; // accounted for at close already
    const length = this.#ringSize[this.#head] ?? 0;
    this.#head = (this.#head + 1) & this.#ringMask;
    this.outstanding--;
    this.outstandingBytes -= length;
    if (this.#givenUp > 0) {
      // Counted dropped at its deadline already.
      this.#givenUp--;
      if (!error) this.lateSent++;
      return;
    }
    if (!error) {
      this.sent++;
      return;
    }
    if (this.#events.closed()) {
      this.droppedClosed++; // cancelled by close (ECANCELED)
      return;
    }
    this.droppedError++;
    this.#events.failed(error);
  };

  /** Gives up outstanding sends older than socketTimeout; re-arms for the next oldest. */
  readonly #sweep = (): void => {
    this.#timer = undefined;
    if (this.#events.closed()) return;
    const timeout = this.#socketTimeout;
    const now = performance.now();
    let newlyGivenUp = 0;
    while (this.#givenUp < this.outstanding) {
      const started = this.#ringTime[(this.#head + this.#givenUp) & this.#ringMask] ?? 0;
      if (started + timeout > now) break;
      this.#givenUp++;
      newlyGivenUp++;
    }
    if (newlyGivenUp > 0) {
      this.droppedTimeout += newlyGivenUp;
      this.#events.timedOut(newlyGivenUp, timeout);
    }
    if (this.#givenUp < this.outstanding) {
      const oldest = this.#ringTime[(this.#head + this.#givenUp) & this.#ringMask] ?? now;
      this.#timer = setTimeout(this.#sweep, Math.max(0, oldest + timeout - now));
      this.#timer.unref();
    }
  };

  clearTimer(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }
}
