import {
  encodeRequest,
  MAX_DATAGRAM_SIZE,
  type MiNode,
  parseReply,
  parseSocketName,
  type RequestArgumentInput,
  type SendOutcome,
  type SocketName,
} from '@mi-datagram/protocol';
import {
  type Channel,
  type ChannelOwner,
  openChannel,
  type ResolvedTarget,
  resolveTarget,
  sendable,
} from './channel.js';
import { DEFAULT_MAX_IDLE_SOCKETS, DEFAULT_TIMEOUT } from './constants.js';
import { diagnoseUnixPath, errnoOf, phraseFor } from './diagnose.js';
import { MiClientError } from './errors.js';
import {
  encodeJsonRpcRequest,
  type JsonRpcParams,
  type MiJsonRpcReply,
  parseJsonRpcResponse,
} from './jsonrpc.js';
import { isNamedParams, legacyArgumentList, type MiNamedParams } from './params.js';

/** Wire protocol of a client: the legacy text protocol (OpenSIPS 2.x) or JSON-RPC 2.0 (3.x). */
export type MiProtocolName = 'legacy' | 'jsonrpc';

/**
 * One legacy argument: a value (`string`/bytes) or a `{ name, value }` pair, either of which may
 * be absent (`null`/omitted). Quoting and escaping are done by `@mi-datagram/protocol`.
 */
export type MiArgument = RequestArgumentInput;

/** A legacy reply: status, tree and the datagram as received. Any status code resolves. */
export interface MiReply {
  /** Decimal status: 2xx success, 4xx/5xx errors (still a reply, not an exception). */
  readonly code: number;
  readonly reason: string;
  readonly nodes: readonly MiNode[];
  /**
   * `tree`: an ordinary reply ending with an empty line; `line`: one of the single-line
   * transport errors without the final empty line (PROTOCOL.md 3, 4).
   */
  readonly form: 'tree' | 'line';
  /** The reply datagram exactly as received (values are never escaped: PROTOCOL.md 3). */
  readonly raw: Uint8Array;
}

export interface MiClientOptions<P extends MiProtocolName = MiProtocolName> {
  /** Wire protocol. Default `'legacy'`. */
  readonly protocol?: P;
  /** Default per-call timeout in ms (from sending the request to the reply). Default 2000. */
  readonly timeout?: number;
  /** Idle reply sockets kept open for reuse. Default 16; 0 opens a fresh socket per call. */
  readonly maxIdleSockets?: number;
  /** Directory in which UNIX reply sockets are created. Default: the transport's (the OS temp dir). */
  readonly socketDir?: string;
}

export interface MiCallOptions {
  /** Timeout of this call in ms. Default: the client's `timeout`. */
  readonly timeout?: number;
  /** Cancels the call: it rejects with `ABORTED` and its reply socket is closed. */
  readonly signal?: AbortSignal;
}

/**
 * Arguments of {@link MiClient.call}: legacy arguments (a list, or named params sent as
 * `name::value` lines), or JSON-RPC params (an array: positional; an object: named).
 */
export type MiCallArgs<P extends MiProtocolName> = P extends 'jsonrpc'
  ? JsonRpcParams
  : readonly MiArgument[] | MiNamedParams;
/** Result of {@link MiClient.call}: a legacy reply, or a JSON-RPC response. */
export type MiCallResult<P extends MiProtocolName> = P extends 'jsonrpc' ? MiJsonRpcReply : MiReply;

/** setTimeout's limit. */
const MAX_TIMER = 2 ** 31 - 1;

type CallResult = MiReply | MiJsonRpcReply;

/** What a call's reply socket and signal report, handled by the client (one object per client). */
interface CallHost {
  reply(call: PendingCall, data: Uint8Array, truncated: boolean): void;
  failed(call: PendingCall): void;
  aborted(call: PendingCall): void;
}

const unsettled = (): void => {};

/**
 * A call in flight: all its state in one object, with methods instead of closures per call. It owns
 * its reply socket while the call lasts (ChannelOwner) and listens to the call's signal, if any.
 */
class PendingCall implements ChannelOwner {
  resolve: (value: CallResult) => void = unsettled;
  reject: (error: MiClientError) => void = unsettled;
  settled = false;
  /** A failure of the send or socket is being diagnosed (the call ends once that is done). */
  diagnosing = false;
  /** The reply socket, once one was taken from the pool or opened. */
  channel: Channel | undefined = undefined;
  /** Slot in the client's list of calls in flight; -1 once the call ended. */
  index = -1;

  constructor(
    private readonly host: CallHost,
    readonly request: Uint8Array,
    /** The JSON-RPC request id; `undefined` for a legacy call. */
    readonly jsonRpcId: number | undefined,
    /** The call's timeout (ms) and its deadline on the `performance.now()` clock. */
    readonly timeout: number,
    readonly deadline: number,
    readonly signal: AbortSignal | undefined,
  ) {}

  reply(data: Uint8Array, truncated: boolean): void {
    this.host.reply(this, data, truncated);
  }

  failed(): void {
    this.host.failed(this);
  }

  /** The signal's `abort` event (the call is its listener object: no closure per call). */
  handleEvent(): void {
    this.host.aborted(this);
  }
}

/** The call whose promise is being created: {@link captureSettlers} needs no closure per call. */
let capturing: PendingCall | undefined;

function captureSettlers(
  resolve: (value: CallResult) => void,
  reject: (error: MiClientError) => void,
): void {
  if (capturing === undefined) return;
  capturing.resolve = resolve;
  capturing.reject = reject;
}

function settle(call: PendingCall, result: CallResult | MiClientError): void {
  if (result instanceof MiClientError) call.reject(result);
  else call.resolve(result);
}

function badReply(target: string, message: string, cause?: unknown): MiClientError {
  return new MiClientError('BAD_REPLY', message, {
    target,
    ...(cause === undefined ? {} : { cause }),
  });
}

function interpretLegacy(
  target: string,
  data: Uint8Array,
  truncated: boolean,
): MiReply | MiClientError {
  if (truncated) return badReply(target, 'reply truncated (larger than a datagram)');
  try {
    // Parsed from the transport's view (outside the V8 heap: decoding needs no copy of its own);
    // `raw` is a copy the reply owns.
    const parsed = parseReply(data);
    return {
      code: parsed.code,
      reason: parsed.reason,
      nodes: parsed.nodes,
      form: parsed.form,
      raw: new Uint8Array(data),
    };
  } catch (error) {
    const hint = data[0] === 0x7b ? ' (looks like JSON-RPC: is this an OpenSIPS 3.x server?)' : '';
    return badReply(target, `unreadable reply${hint}`, error);
  }
}

/** `null`: a reply to another id, ignored. */
function interpretJsonRpc(
  target: string,
  id: number,
  data: Uint8Array,
  truncated: boolean,
): MiJsonRpcReply | MiClientError | null {
  if (truncated) return badReply(target, 'reply truncated (larger than a datagram)');
  // The reply keeps the bytes as `raw`: a copy, not the transport's view.
  const outcome = parseJsonRpcResponse(new Uint8Array(data), id);
  if (outcome.kind === 'foreign') return null;
  if (outcome.kind === 'invalid') {
    return badReply(target, `unreadable JSON-RPC reply: ${outcome.reason}`);
  }
  return outcome.reply;
}

/**
 * A call counts as timed out this close to its deadline: the shared timer runs on the event
 * loop's millisecond clock and may fire a fraction of a millisecond early.
 */
const DEADLINE_SLACK_MS = 1;

function checkTimeout(value: number, what: string): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${what} must be a positive number of milliseconds`);
  }
}

/**
 * A client for one MI datagram server (`socket_name`: a UNIX socket path or `udp:HOST:PORT`).
 *
 * Every outstanding call has its own reply socket, so concurrent calls never see each other's
 * replies (the legacy protocol has no request id). Sockets of calls that completed are pooled;
 * a socket whose call timed out, was aborted or failed is closed, never reused.
 */
export class MiClient<P extends MiProtocolName = 'legacy'> {
  /** The `socket_name` this client talks to. */
  readonly target: string;
  readonly protocol: P;
  readonly timeout: number;
  private readonly parsed: SocketName;
  private readonly maxIdle: number;
  private readonly socketDir: string | undefined;
  private resolved: Promise<ResolvedTarget> | undefined;
  private readonly idle: Channel[] = [];
  /**
   * Calls in flight (unordered; each knows its index, removal swaps the last one in). Not a Set:
   * a Set churned at this rate keeps chains of its dead hash tables in old space, each holding
   * the calls it once contained, so every call's garbage survived scavenges and was promoted.
   */
  private readonly inflight: PendingCall[] = [];
  /**
   * One timer for all calls in flight, armed for the earliest deadline (not a setTimeout per
   * call). With one timeout for all calls a new call's deadline is never the earliest, so the
   * timer is re-armed about once per timeout period. It is armed whenever calls are in flight and
   * ref'd exactly then: it is what keeps the process alive for them (reply sockets are unref'd
   * for good, not ref'd and unref'd per call).
   */
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** When the armed timer fires (`performance.now()` clock); +Infinity when none is armed. */
  private timerAt = Number.POSITIVE_INFINITY;
  private readonly closing = new Set<Promise<void>>();
  /** Reply sockets being opened (close() waits for them so it can close them too). */
  private readonly opening = new Set<Promise<unknown>>();
  private nextId = 1;
  private closed = false;
  /**
   * The last legacy request without arguments, as sent (a one-entry cache: monitoring loops repeat
   * one command). The bytes are never written to after encoding, so in-flight sends may share them.
   */
  private lastCommand: string | undefined;
  private lastRequest: Uint8Array | undefined;
  /** Handles what reply sockets and signals report for a call (created once per client). */
  private readonly host: CallHost = {
    reply: (call, data, truncated) => {
      const result =
        call.jsonRpcId === undefined
          ? interpretLegacy(this.target, data, truncated)
          : interpretJsonRpc(this.target, call.jsonRpcId, data, truncated);
      if (result !== null) this.finish(call, result, !(result instanceof MiClientError));
    },
    failed: (call) => this.diagnose(call),
    aborted: (call) => this.finish(call, this.aborted(call.signal), false),
  };

  constructor(target: string, options: MiClientOptions<P> = {}) {
    try {
      this.parsed = parseSocketName(target);
    } catch (error) {
      throw new MiClientError('REQUEST_INVALID', `invalid socket_name: ${JSON.stringify(target)}`, {
        cause: error,
        target,
      });
    }
    if (this.parsed.kind === 'udp' && this.parsed.port === 0) {
      throw new MiClientError('REQUEST_INVALID', `invalid socket_name: ${target} (port 0)`, {
        target,
      });
    }
    this.target = target;
    this.protocol = options.protocol ?? ('legacy' as P);
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT;
    checkTimeout(this.timeout, 'timeout');
    this.maxIdle = options.maxIdleSockets ?? DEFAULT_MAX_IDLE_SOCKETS;
    if (!Number.isInteger(this.maxIdle) || this.maxIdle < 0) {
      throw new RangeError('maxIdleSockets must be a non-negative integer');
    }
    this.socketDir = options.socketDir;
  }

  /** `true` once {@link close} was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Sends `command` with `args` in the client's protocol and resolves with the reply: a
   * {@link MiReply} (legacy) or a {@link MiJsonRpcReply} (JSON-RPC). Rejects only with
   * {@link MiClientError}.
   */
  call(command: string, args?: MiCallArgs<P>, options?: MiCallOptions): Promise<MiCallResult<P>>;
  call(
    command: string,
    args?: readonly MiArgument[] | MiNamedParams | JsonRpcParams,
    options?: MiCallOptions,
  ): Promise<MiReply | MiJsonRpcReply> {
    if (this.protocol === 'jsonrpc') return this.callJsonRpc(command, args, options);
    if (args !== undefined && !Array.isArray(args) && !isNamedParams(args)) {
      return Promise.reject(
        new MiClientError('REQUEST_INVALID', 'legacy arguments must be an array or an object', {
          target: this.target,
        }),
      );
    }
    return this.callLegacy(command, args as readonly MiArgument[] | MiNamedParams, options);
  }

  /** A legacy text request, whatever the client's `protocol` (named params: `name::value` lines). */
  callLegacy(
    command: string,
    args?: readonly MiArgument[] | MiNamedParams,
    options?: MiCallOptions,
  ): Promise<MiReply> {
    let list: readonly MiArgument[] | undefined;
    try {
      list = legacyArgumentList(args);
    } catch (error) {
      return Promise.reject(this.invalid(error));
    }
    const noArgs = list === undefined || list.length === 0;
    if (noArgs && command === this.lastCommand && this.lastRequest !== undefined) {
      return this.exchange(this.lastRequest, options, undefined) as Promise<MiReply>;
    }
    let request: Uint8Array;
    try {
      request = sendable(
        noArgs ? encodeRequest(command) : encodeRequest(command, [...(list ?? [])]),
      );
    } catch (error) {
      return Promise.reject(this.invalid(error));
    }
    if (noArgs && typeof command === 'string') {
      this.lastCommand = command;
      this.lastRequest = request;
    }
    return this.exchange(request, options, undefined) as Promise<MiReply>;
  }
  /** A JSON-RPC 2.0 request, whatever the client's `protocol`. Errors are returned as data. */
  callJsonRpc(
    method: string,
    params?: JsonRpcParams,
    options?: MiCallOptions,
  ): Promise<MiJsonRpcReply> {
    const id = this.nextId++;
    let request: Uint8Array;
    try {
      request = sendable(encodeJsonRpcRequest(method, params, id));
    } catch (error) {
      return Promise.reject(this.invalid(error));
    }
    if (request.length > MAX_DATAGRAM_SIZE) {
      return Promise.reject(
        this.invalid(
          new RangeError(`request is ${request.length} bytes, over ${MAX_DATAGRAM_SIZE}`),
        ),
      );
    }
    return this.exchange(request, options, id) as Promise<MiJsonRpcReply>;
  }

  /**
   * Closes the client: calls in flight reject with `CLOSED`, every reply socket is closed (and
   * its file removed). Idempotent.
   */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      const error = new MiClientError('CLOSED', 'client closed', { target: this.target });
      for (const call of [...this.inflight]) this.finish(call, error, false);
      this.disarm();
      for (const channel of this.idle.splice(0)) this.destroy(channel);
    }
    while (this.opening.size > 0 || this.closing.size > 0) {
      await Promise.allSettled([...this.opening, ...this.closing]);
    }
  }

  private invalid(error: unknown): MiClientError {
    const detail = error instanceof Error ? error.message : String(error);
    return new MiClientError('REQUEST_INVALID', `invalid request: ${detail}`, {
      cause: error,
      target: this.target,
    });
  }

  private transportError(errno: string | undefined, cause: unknown): MiClientError {
    const what = errno === undefined ? 'transport failure' : phraseFor(errno, this.parsed.kind);
    const detail = errno === undefined && cause instanceof Error ? `: ${cause.message}` : '';
    return new MiClientError('TRANSPORT', `${what}: ${this.target}${detail}`, {
      target: this.target,
      cause,
      ...(errno === undefined ? {} : { errno }),
    });
  }

  private resolveOnce(): Promise<ResolvedTarget> {
    if (this.resolved === undefined) {
      this.resolved = resolveTarget(this.parsed);
      // A failed lookup is retried by the next call.
      this.resolved.catch(() => {
        this.resolved = undefined;
      });
    }
    return this.resolved;
  }

  private track(call: PendingCall, now: number): void {
    call.index = this.inflight.length;
    this.inflight.push(call);
    if (call.deadline < this.timerAt) this.arm(call.deadline, now);
    else if (call.index === 0) this.timer?.ref();
  }

  /** Only with calls in flight: the timer is ref'd, and keeps the process alive for them. */
  private arm(deadline: number, now: number): void {
    this.disarm();
    this.timerAt = deadline;
    this.timer = setTimeout(this.onTimer, Math.min(Math.max(deadline - now, 0), MAX_TIMER));
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  /** Times out the calls whose deadline came and arms the timer for the next one. */
  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    for (const call of [...this.inflight]) {
      if (call.index === -1) continue; // ended by an earlier one's timeout
      if (call.deadline - now < DEADLINE_SLACK_MS) {
        this.finish(
          call,
          new MiClientError('TIMEOUT', `no reply from ${this.target} within ${call.timeout} ms`, {
            target: this.target,
          }),
          false,
        );
      } else if (call.deadline < next) {
        next = call.deadline;
      }
    }
    if (next < this.timerAt) this.arm(next, now);
  };

  private untrack(call: PendingCall): void {
    const last = this.inflight.pop();
    if (last !== undefined && last !== call) {
      this.inflight[call.index] = last;
      last.index = call.index;
    }
    call.index = -1;
    // Nothing in flight: the armed timer (for a deadline now gone) must not keep the process alive.
    if (this.inflight.length === 0) this.timer?.unref();
  }

  /** Opens a new reply socket (the pool had none idle). */
  private async open(timeout: number): Promise<Channel> {
    const target = await this.resolveOnce();
    return openChannel(target, {
      socketDir: this.socketDir,
      socketTimeout: Math.min(timeout, MAX_TIMER),
    });
  }

  /** Puts a clean channel back in the pool, or closes it when the pool is full or the client closed. */
  private release(channel: Channel): Promise<void> | undefined {
    channel.owner = null;
    if (this.closed || this.idle.length >= this.maxIdle) return this.destroy(channel);
    this.idle.push(channel);
    return undefined;
  }

  private destroy(channel: Channel): Promise<void> {
    const done = channel.close().catch(() => undefined);
    this.closing.add(done);
    void done.then(() => this.closing.delete(done));
    return done;
  }

  /** The TRANSPORT error for a failed send or socket, with the clearest errno we can find. */
  private async diagnoseFailure(channel: Channel): Promise<MiClientError> {
    // Give the transport one turn to report the system error of the failed send.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const cause = channel.lastError ?? new Error('request not sent');
    const reported = errnoOf(channel.lastError);
    if (this.parsed.kind === 'unix' && (reported === undefined || reported === 'ECONNREFUSED')) {
      // The kernel says ECONNREFUSED for a stale socket file and for a path that is not a
      // socket at all; the file system tells them apart (and finds ENOENT/EACCES if unreported).
      const found = await diagnoseUnixPath(this.parsed.path);
      return this.transportError(found.errno, cause);
    }
    return this.transportError(reported, cause);
  }

  private exchange(
    request: Uint8Array,
    options: MiCallOptions | undefined,
    jsonRpcId: number | undefined,
  ): Promise<CallResult> {
    const timeout = options?.timeout ?? this.timeout;
    const signal = options?.signal;
    if (this.closed) {
      return Promise.reject(new MiClientError('CLOSED', 'client closed', { target: this.target }));
    }
    try {
      checkTimeout(timeout, 'timeout');
    } catch (error) {
      return Promise.reject(this.invalid(error));
    }
    if (signal?.aborted) return Promise.reject(this.aborted(signal));

    const now = performance.now();
    const deadline = now + Math.min(timeout, MAX_TIMER);
    const call = new PendingCall(this.host, request, jsonRpcId, timeout, deadline, signal);
    capturing = call;
    const promise = new Promise<CallResult>(captureSettlers);
    capturing = undefined;
    this.track(call, now);
    signal?.addEventListener('abort', call, { once: true });

    // An idle socket is taken and used at once: no promise between the call and its send.
    const pooled = this.idle.pop();
    if (pooled !== undefined) this.start(call, pooled);
    else this.openFor(call);
    return promise;
  }

  /** Opens a reply socket for a call (the pool had none idle) and sends on it. */
  private openFor(call: PendingCall): void {
    const opening = this.open(call.timeout);
    this.opening.add(opening);
    const opened = (): void => {
      this.opening.delete(opening);
    };
    opening.then(opened, opened);
    opening.then(
      (acquired) => {
        if (call.settled) {
          // Timed out or aborted while opening: nothing was sent on it, it is clean.
          void this.release(acquired);
          return;
        }
        this.start(call, acquired);
      },
      (error: unknown) => {
        this.finish(call, this.transportError(errnoOf(error), error), false);
      },
    );
  }

  private start(call: PendingCall, channel: Channel): void {
    call.channel = channel;
    channel.lastError = undefined;
    channel.owner = call;
    let sent: SendOutcome;
    try {
      sent = channel.send(call.request);
    } catch (error) {
      this.finish(call, this.transportError(errnoOf(error), error), false);
      return;
    }
    if (sent === 'dropped') this.diagnose(call);
  }

  /** A failed send or socket: the call ends with the clearest TRANSPORT error found (once). */
  private diagnose(call: PendingCall): void {
    const channel = call.channel;
    if (call.settled || call.diagnosing || channel === undefined) return;
    call.diagnosing = true;
    void this.diagnoseFailure(channel).then((error) => this.finish(call, error, false));
  }

  /**
   * Ends a call once: off the in-flight list and its signal, its socket back to the pool
   * (`reusable`: a clean reply came) or closed, then settles its promise.
   */
  private finish(call: PendingCall, result: CallResult | MiClientError, reusable: boolean): void {
    if (call.settled) return;
    call.settled = true;
    call.signal?.removeEventListener('abort', call);
    this.untrack(call);
    const channel = call.channel;
    // Still opening a socket: openFor takes care of it.
    if (channel === undefined) {
      settle(call, result);
      return;
    }
    channel.owner = null;
    if (reusable) {
      // Settle once a socket the pool has no room for is gone too.
      const closing = this.release(channel);
      if (closing === undefined) settle(call, result);
      else void closing.then(() => settle(call, result));
    } else {
      // Never reuse it (a late reply would be taken for the next call's); the call settles once
      // the socket and its file are gone.
      void this.destroy(channel).then(() => settle(call, result));
    }
  }

  private aborted(signal: AbortSignal | undefined): MiClientError {
    return new MiClientError('ABORTED', 'call aborted', {
      target: this.target,
      ...(signal?.reason === undefined ? {} : { cause: signal.reason }),
    });
  }
}

/** Same as `new MiClient(target, options)`. */
export function createMiClient<P extends MiProtocolName = 'legacy'>(
  target: string,
  options: MiClientOptions<P> = {},
): MiClient<P> {
  return new MiClient(target, options);
}
