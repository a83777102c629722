/**
 * The gate every request passes before its handler runs (issue 15): the
 * in-flight bound ({@link InFlightLimiter}) and the handler's deadline
 * ({@link HandlerRun}), with the counters `mi_stats` reports. The legacy and
 * the JSON-RPC pipelines use it alike:
 *
 * ```
 * const run = gate.admit(peer, bytes, entry, now);   // null → 503 server busy
 * … a refusal before the handler: gate.release(run)
 * result = handler(requestWith(run.signal))
 * synchronous: gate.settle(run) → send the result
 * promise: gate.arm(run, entry, () => send 504)  then  gate.settle(run) ? send : drop
 * ```
 */
import { sourceOf } from '../access/index.js';
import { events, SERVER_EVENTS } from '../events/index.js';
import {
  DEFAULT_COMMAND_TIMEOUT_MS,
  type HandlerAbortError,
  HandlerRun,
  RunTracker,
} from './deadline.js';
import { DEFAULT_WORK_LIMITS, InFlightLimiter, type WorkClass, type WorkLimits } from './limits.js';

/** When `E_MI_BUSY` was last raised (performance.now() ms): at most one per second. */
let lastBusyEvent = Number.NEGATIVE_INFINITY;

/** The server event of a `503 server busy` refusal (docs/events.md); a no-op without subscribers. */
function busyEvent(now: number, command: string, source: string): void {
  if (!events.hasSubscribers(SERVER_EVENTS.BUSY) || now - lastBusyEvent < 1000) return;
  lastBusyEvent = now;
  events.raise(SERVER_EVENTS.BUSY, { command, source });
}

/** Modules whose commands an operator reaches for during a flood: served from the reserve when the normal budget is full. */
export const OPERATOR_MODULES: ReadonlySet<string> = new Set(['core', 'statistics']);

/** What the gate needs of a registered command. */
export interface GatedCommand {
  readonly name: string;
  readonly module: string;
  readonly definition: { readonly timeoutMs?: number };
}

/** What the gate logs with. */
export interface GateLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
  notice(message: string, fields?: Record<string, unknown>): void;
}

export interface WorkGateOptions {
  readonly limits?: WorkLimits;
  /** Default deadline of a handler (ms); a definition's `timeoutMs` overrides it. */
  readonly commandTimeoutMs?: number;
  readonly logger: GateLogger;
}

/** The gate's counters (all start at 0; `inFlight…` are gauges). */
export interface GateStats {
  /** Requests refused with `503 server busy` (JSON-RPC items one by one). */
  readonly busy: number;
  /** … of which because their source held its share. */
  readonly busySource: number;
  /** Handlers that missed their deadline (`504 command timed out`). */
  readonly timedOut: number;
  /** Handlers whose signal fired at shutdown, before the grace period ended. */
  readonly abortedAtShutdown: number;
  /** Results that arrived after their deadline and were dropped. */
  readonly lateResults: number;
  /** Requests holding a slot now, and the bytes charged to them. */
  readonly inFlight: number;
  readonly inFlightBytes: number;
  readonly peakInFlight: number;
  readonly peakInFlightBytes: number;
}

/** One admitted request: its slot and its deadline. */
export class GatedRun extends HandlerRun {
  readonly source: string;
  readonly bytes: number;
  /** The budget the slot was charged to (operator commands use the reserve only when the normal budget is full). */
  readonly kind: WorkClass;
  /** False once the slot has been given back. */
  holding = true;

  constructor(command: string, startedMs: number, source: string, bytes: number, kind: WorkClass) {
    super(command, startedMs);
    this.source = source;
    this.bytes = bytes;
    this.kind = kind;
  }
}

export class WorkGate {
  readonly limiter: InFlightLimiter;
  readonly commandTimeoutMs: number;
  /** The runs with a deadline, expired all at once at shutdown. */
  readonly tracker = new RunTracker();
  readonly #log: ThrottledEvents;
  #timedOut = 0;
  #abortedAtShutdown = 0;
  #late = 0;

  constructor(options: WorkGateOptions) {
    this.limiter = new InFlightLimiter(options.limits ?? DEFAULT_WORK_LIMITS);
    this.commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.#log = new ThrottledEvents(options.logger);
  }

  /** The budget a command may use: `operator` commands fall back on the reserve when the normal one is full. */
  classOf(entry: GatedCommand): WorkClass {
    return OPERATOR_MODULES.has(entry.module) ? 'operator' : 'normal';
  }

  /** The deadline of a command's handler (ms). */
  timeoutOf(entry: GatedCommand): number {
    return entry.definition.timeoutMs ?? this.commandTimeoutMs;
  }

  /**
   * A slot for one request of `bytes` (its datagram, or its share of a
   * JSON-RPC batch's) from `peer`; null when the bound is reached (the
   * request must not run: `503 server busy`).
   */
  admit(peer: unknown, bytes: number, entry: GatedCommand, startedMs: number): GatedRun | null {
    // The source as access control sees it: a UNIX peer's path, a UDP
    // peer's address (any port).
    const source = sourceOf(peer);
    const charged = this.limiter.tryAcquire(source, bytes, this.classOf(entry));
    if (charged === null) {
      busyEvent(startedMs, entry.name, source);
      return null;
    }
    return new GatedRun(entry.name, startedMs, source, bytes, charged);
  }

  /** Gives the slot back (a request refused before its handler, or done). Idempotent. */
  release(run: GatedRun): void {
    if (!run.holding) return;
    run.holding = false;
    this.limiter.release(run.source, run.bytes, run.kind);
  }

  /**
   * The handler returned a promise: start its deadline. On expiry the slot
   * is released, the signal fires, and `onExpire` sends the `504` reply.
   */
  arm(run: GatedRun, entry: GatedCommand, onExpire: () => void): void {
    const timeoutMs = this.timeoutOf(entry);
    run.arm(
      timeoutMs,
      (expired, reason: HandlerAbortError) => {
        this.release(run);
        if (reason.code === 'SERVER_CLOSING') {
          this.#abortedAtShutdown++;
        } else {
          this.#timedOut++;
          this.#log.event('warn', 'command timed out', expired.command, {
            timeoutMs,
            afterMs: Math.round(performance.now() - expired.startedMs),
          });
        }
        onExpire();
      },
      this.tracker,
    );
  }

  /**
   * The handler settled. True: in time, its slot is released, send the
   * result. False: it had expired (the client got `504`): the result is
   * dropped and logged (see {@link ThrottledEvents}).
   */
  settle(run: GatedRun): boolean {
    if (run.settle()) {
      this.release(run);
      return true;
    }
    this.#late++;
    this.#log.event('notice', 'late result dropped: the command had timed out', run.command, {
      afterMs: Math.round(performance.now() - run.startedMs),
    });
    return false;
  }

  /** Shutdown: every handler still running gets its signal (and its client a `504`). */
  abortAll(): number {
    return this.tracker.expireAll();
  }

  stats(): GateStats {
    const l = this.limiter.stats();
    return {
      busy: l.busy,
      busySource: l.busySource,
      timedOut: this.#timedOut,
      abortedAtShutdown: this.#abortedAtShutdown,
      lateResults: this.#late,
      inFlight: l.inFlight,
      inFlightBytes: l.inFlightBytes,
      peakInFlight: l.peakInFlight,
      peakInFlightBytes: l.peakInFlightBytes,
    };
  }
}

/**
 * Log lines of events that come in floods (timeouts, late results): the
 * first of a kind and command is logged at once; more within the next
 * second are counted and logged as one line (`count`) when it ends. A flood
 * of hung handlers cannot flood the log (nor block the server on a slow
 * log pipe). The keys are bounded by the registry's commands.
 */
export class ThrottledEvents {
  readonly #logger: GateLogger;
  readonly #windowMs: number;
  readonly #pending = new Map<string, number>();

  constructor(logger: GateLogger, windowMs = 1000) {
    this.#logger = logger;
    this.#windowMs = windowMs;
  }

  event(
    level: 'warn' | 'notice',
    message: string,
    command: string,
    fields: Record<string, unknown>,
  ): void {
    const key = `${level}\0${message}\0${command}`;
    const counted = this.#pending.get(key);
    if (counted !== undefined) {
      this.#pending.set(key, counted + 1);
      return;
    }
    this.#logger[level](message, { command, ...fields });
    this.#pending.set(key, 0);
    const timer = setTimeout(() => {
      const more = this.#pending.get(key) ?? 0;
      this.#pending.delete(key);
      if (more > 0) {
        this.#logger[level](message, { command, count: more, withinMs: this.#windowMs });
      }
    }, this.#windowMs);
    timer.unref();
  }
}
