import {
  encodeRequest,
  MAX_DATAGRAM_SIZE,
  type SendOutcome,
  type SocketName,
} from '@mi-datagram/protocol';
import {
  type Channel,
  openChannel,
  type ResolvedTarget,
  resolveTarget,
  sendable,
} from './channel.js';
import type {
  MiArgument,
  MiCallArgs,
  MiCallOptions,
  MiCallResult,
  MiClientOptions,
  MiProtocolName,
  MiReply,
} from './client-types.js';
import { nowMs } from './clock.js';
import { DEFAULT_MAX_IDLE_SOCKETS, DEFAULT_TIMEOUT } from './constants.js';
import { errnoOf } from './diagnose.js';
import { MiClientError } from './errors.js';
import {
  abortedError,
  checkTimeout,
  diagnoseFailure,
  invalidRequest,
  parseTarget,
  timeoutError,
  transportError,
} from './failures.js';
import { InflightCalls, MAX_TIMER } from './inflight.js';
import { interpretJsonRpc, interpretLegacy, isOpenSips3Reply } from './interpret.js';
import {
  argumentsToJsonRpcParams,
  encodeJsonRpcRequest,
  type JsonRpcParams,
  type MiJsonRpcReply,
} from './jsonrpc.js';
import { isNamedParams, legacyArgumentList, type MiNamedParams } from './params.js';
import { type CallHost, type CallResult, PendingCall, promiseOf, settle } from './pending-call.js';
import { type MiEvent, type SubscribeOptions, subscribeEvents } from './subscribe.js';

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
  private readonly inflight = new InflightCalls((call) =>
    this.finish(call, timeoutError(this.target, call.timeout), false),
  );
  private readonly closing = new Set<Promise<void>>();
  /** Reply sockets being opened (close() waits for them so it can close them too). */
  private readonly opening = new Set<Promise<unknown>>();
  private nextId = 1;
  private closed = false;
  /** `'auto'`: the protocol the target turned out to speak, once a reply told. */
  private detected: 'legacy' | 'jsonrpc' | undefined;
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
    aborted: (call) => this.finish(call, abortedError(this.target, call.signal), false),
  };

  constructor(target: string, options: MiClientOptions<P> = {}) {
    this.parsed = parseTarget(target);
    this.target = target;
    this.protocol = options.protocol ?? ('legacy' as P);
    if (!['legacy', 'jsonrpc', 'auto'].includes(this.protocol)) {
      throw new RangeError(`protocol must be 'legacy', 'jsonrpc' or 'auto'`);
    }
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT;
    checkTimeout(this.timeout, 'timeout');
    this.maxIdle = options.maxIdleSockets ?? DEFAULT_MAX_IDLE_SOCKETS;
    if (!Number.isInteger(this.maxIdle) || this.maxIdle < 0) {
      throw new RangeError('maxIdleSockets must be a non-negative integer');
    }
    this.socketDir = options.socketDir;
  }

  /** `event` as it is raised, on a socket of this client's own (docs/events.md, subscribe.ts). */
  subscribe(event: string, options?: SubscribeOptions): AsyncGenerator<MiEvent, void, undefined> {
    return subscribeEvents(this, event, () => this.resolveOnce(), this.socketDir, options);
  }

  /** `true` once {@link close} was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * The protocol calls go out in: the client's `protocol`, or with `'auto'` what the target was
   * found to speak (`undefined` until a reply told; calls then start in legacy text).
   */
  get detectedProtocol(): 'legacy' | 'jsonrpc' | undefined {
    return this.protocol === 'auto' ? this.detected : (this.protocol as 'legacy' | 'jsonrpc');
  }

  /**
   * Sends `command` with `args` in the client's protocol and resolves with the reply: a
   * {@link MiReply} (legacy) or a {@link MiJsonRpcReply} (JSON-RPC), told apart by `protocol`.
   * Rejects only with {@link MiClientError}.
   */
  call(command: string, args?: MiCallArgs<P>, options?: MiCallOptions): Promise<MiCallResult<P>>;
  call(
    command: string,
    args?: readonly MiArgument[] | MiNamedParams | JsonRpcParams,
    options?: MiCallOptions,
  ): Promise<MiReply | MiJsonRpcReply> {
    if (this.protocol === 'jsonrpc') return this.callJsonRpc(command, args, options);
    if (args !== undefined && !Array.isArray(args) && !isNamedParams(args)) {
      const message = 'legacy arguments must be an array or an object';
      return Promise.reject(new MiClientError('REQUEST_INVALID', message, { target: this.target }));
    }
    const legacyArgs = args as readonly MiArgument[] | MiNamedParams | undefined;
    if (this.protocol === 'auto') return this.callAuto(command, legacyArgs, options);
    return this.callLegacy(command, legacyArgs, options);
  }

  /**
   * `'auto'`: legacy text first; a target that answers it as OpenSIPS 3 does (`400 Parse_error`)
   * gets the call again in JSON-RPC, within what is left of the timeout, and JSON-RPC from then on.
   */
  private async callAuto(
    command: string,
    args: readonly MiArgument[] | MiNamedParams | undefined,
    options: MiCallOptions | undefined,
  ): Promise<MiReply | MiJsonRpcReply> {
    if (this.detected !== 'jsonrpc') {
      const started = nowMs();
      const reply = await this.callLegacy(command, args, options);
      if (!isOpenSips3Reply(reply)) {
        this.detected = 'legacy';
        return reply;
      }
      this.detected = 'jsonrpc';
      const timeout = options?.timeout ?? this.timeout;
      const left = Math.max(1, Math.ceil(timeout - (nowMs() - started)));
      options = { ...options, timeout: left };
    }
    let params: JsonRpcParams | undefined;
    try {
      params = argumentsToJsonRpcParams(legacyArgumentList(args) ?? []);
    } catch (error) {
      throw invalidRequest(this.target, error);
    }
    return this.callJsonRpc(command, params, options);
  }

  /** A legacy text request, whatever the client's `protocol` (named params: `name::value` lines). */
  callLegacy(
    command: string,
    namedOrList?: readonly MiArgument[] | MiNamedParams,
    options?: MiCallOptions,
  ): Promise<MiReply> {
    let args: readonly MiArgument[] | undefined;
    try {
      args = legacyArgumentList(namedOrList);
    } catch (error) {
      return Promise.reject(invalidRequest(this.target, error));
    }
    const noArgs = args === undefined || args.length === 0;
    if (noArgs && command === this.lastCommand && this.lastRequest !== undefined) {
      return this.exchange(this.lastRequest, options, undefined) as Promise<MiReply>;
    }
    let request: Uint8Array;
    try {
      request = sendable(
        noArgs ? encodeRequest(command) : encodeRequest(command, [...(args ?? [])]),
      );
    } catch (error) {
      return Promise.reject(invalidRequest(this.target, error));
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
      return Promise.reject(invalidRequest(this.target, error));
    }
    if (request.length > MAX_DATAGRAM_SIZE) {
      return Promise.reject(
        invalidRequest(
          this.target,
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
      for (const call of this.inflight.snapshot()) this.finish(call, error, false);
      this.inflight.disarm();
      for (const channel of this.idle.splice(0)) this.destroy(channel);
    }
    while (this.opening.size > 0 || this.closing.size > 0) {
      await Promise.allSettled([...this.opening, ...this.closing]);
    }
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
      return Promise.reject(invalidRequest(this.target, error));
    }
    if (signal?.aborted) return Promise.reject(abortedError(this.target, signal));

    const now = nowMs();
    const deadline = now + Math.min(timeout, MAX_TIMER);
    const call = new PendingCall(this.host, request, jsonRpcId, timeout, deadline, signal);
    const promise = promiseOf(call);
    this.inflight.add(call, now);
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
        this.finish(
          call,
          transportError(this.target, this.parsed.kind, errnoOf(error), error),
          false,
        );
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
      this.finish(
        call,
        transportError(this.target, this.parsed.kind, errnoOf(error), error),
        false,
      );
      return;
    }
    if (sent === 'dropped') this.diagnose(call);
  }

  /** A failed send or socket: the call ends with the clearest TRANSPORT error found (once). */
  private diagnose(call: PendingCall): void {
    const channel = call.channel;
    if (call.settled || call.diagnosing || channel === undefined) return;
    call.diagnosing = true;
    void diagnoseFailure(this.target, this.parsed, channel).then((error) =>
      this.finish(call, error, false),
    );
  }

  /**
   * Ends a call once: off the in-flight list and its signal, its socket back to the pool
   * (`reusable`: a clean reply came) or closed, then settles its promise.
   */
  private finish(call: PendingCall, result: CallResult | MiClientError, reusable: boolean): void {
    if (call.settled) return;
    call.settled = true;
    call.signal?.removeEventListener('abort', call);
    this.inflight.remove(call);
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
}
