/**
 * Handler deadlines (issue 15): every handler's request carries an
 * `AbortSignal`; when the handler has not settled within its deadline (the
 * server's `command_timeout`, or the definition's own `timeoutMs`) the
 * signal fires, its slot is released and the client gets
 * `504 command timed out`. A result that arrives afterwards is dropped.
 * At shutdown the server fires the signal of every handler still running
 * before its grace period ends.
 *
 * The `AbortController` is created only when a handler reads
 * `request.signal`, and the timer only when the handler returned a promise:
 * a synchronous handler costs one small object.
 */
import { MAX_COMMAND_TIMEOUT_MS } from '../common/index.js';

/** Default `command_timeout` (ms): longer than any MI command should take, short enough to free a slot held by a hung one. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;

export { MAX_COMMAND_TIMEOUT_MS };

/** Codes of {@link HandlerAbortError}. */
export type HandlerAbortCode =
  /** The handler did not settle within its deadline. */
  | 'COMMAND_TIMED_OUT'
  /** The server is shutting down and its grace period is about to end. */
  | 'SERVER_CLOSING';

/** The `reason` of a handler's aborted signal. */
export class HandlerAbortError extends Error {
  readonly code: HandlerAbortCode;
  /** The command whose handler was aborted. */
  readonly command: string;

  constructor(code: HandlerAbortCode, command: string, message: string) {
    super(message);
    this.name = 'HandlerAbortError';
    this.code = code;
    this.command = command;
  }
}

/** Why a run ended. */
export type RunOutcome = 'running' | 'settled' | 'expired';

/**
 * One handler's run: its signal and deadline. {@link settle} tells whether
 * the result may still be sent; {@link expire} (timer or shutdown) fires the
 * signal and calls the expiry callback once.
 */
export class HandlerRun {
  /** The command (in abort reasons and logs). */
  readonly command: string;
  /** `performance.now()` at the handler's start. */
  readonly startedMs: number;
  #controller: AbortController | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #outcome: RunOutcome = 'running';
  #onExpire: ((run: HandlerRun, reason: HandlerAbortError) => void) | null = null;
  #tracker: RunTracker | null = null;
  #reason: HandlerAbortError | null = null;

  constructor(command: string, startedMs: number) {
    this.command = command;
    this.startedMs = startedMs;
  }

  /** The signal handed to the handler (created on first use). */
  get signal(): AbortSignal {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      // Read after the end (a handler that looks late): already aborted.
      if (this.#reason !== null) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  get outcome(): RunOutcome {
    return this.#outcome;
  }

  /**
   * The handler returned a promise: expire it after `timeoutMs`, calling
   * `onExpire` once (release the slot, send `504`). `tracker` lists it for
   * {@link RunTracker.expireAll}.
   */
  arm(
    timeoutMs: number,
    onExpire: (run: HandlerRun, reason: HandlerAbortError) => void,
    tracker: RunTracker | null = null,
  ): void {
    if (this.#outcome !== 'running') return;
    this.#onExpire = onExpire;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.expire(
        new HandlerAbortError(
          'COMMAND_TIMED_OUT',
          this.command,
          `command ${this.command} did not finish within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    this.#tracker = tracker;
    tracker?.add(this);
  }

  /**
   * The handler settled. True: in time, send its result. False: it had
   * already expired, drop the result (the client got `504`).
   */
  settle(): boolean {
    if (this.#outcome === 'expired') return false;
    this.#outcome = 'settled';
    this.#disarm();
    return true;
  }

  /** Ends the run now: fires the signal with `reason` and calls the expiry callback (once). */
  expire(reason: HandlerAbortError): void {
    if (this.#outcome !== 'running') return;
    this.#outcome = 'expired';
    this.#reason = reason;
    const onExpire = this.#onExpire;
    this.#disarm();
    // The slot is free and the client answered before the handler hears of
    // it: a handler that throws from an abort listener changes nothing.
    if (onExpire !== null) onExpire(this, reason);
    try {
      this.#controller?.abort(reason);
    } catch {
      // An abort listener of the handler threw: its business (the event
      // target reports it as an uncaught exception, which the CLI logs).
    }
  }

  #disarm(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#onExpire = null;
    this.#tracker?.delete(this);
    this.#tracker = null;
  }
}

/** The runs with a deadline, so that a shutdown can expire them all. */
export class RunTracker {
  readonly #runs = new Set<HandlerRun>();

  add(run: HandlerRun): void {
    this.#runs.add(run);
  }

  delete(run: HandlerRun): void {
    this.#runs.delete(run);
  }

  get size(): number {
    return this.#runs.size;
  }

  /** Expires every run still going, with a `SERVER_CLOSING` reason. Returns how many. */
  expireAll(): number {
    const runs = [...this.#runs];
    for (const run of runs) {
      run.expire(
        new HandlerAbortError(
          'SERVER_CLOSING',
          run.command,
          `the server is shutting down: command ${run.command} aborted`,
        ),
      );
    }
    return runs.length;
  }
}

/**
 * When, within a shutdown grace period of `graceMs`, the handlers still
 * running get their signal: at most one second (and at most half the
 * period) before it ends, leaving them time to give up and the `504`
 * replies time to go out.
 */
export function abortLeadMs(graceMs: number): number {
  return Math.min(1000, Math.floor(Math.max(0, graceMs) / 2));
}
