/**
 * `MiServer`: the request pipeline (PROTOCOL.md 2–4) over any number of
 * already-created transports. It holds no socket code: a transport is bound
 * (or adopted, in a worker process) elsewhere and attached here.
 *
 * receive → (classify) → first line → look up → arguments (unless noInput)
 * → (guard) → handler → encode → send.
 */
import {
  classifyDatagram,
  type DatagramHandler,
  type DatagramInfo,
  type DatagramTransport,
  encodeReply,
  isMiProtocolError,
  type JsonValue,
  MAX_DATAGRAM_SIZE,
  type MiArgument,
  type MiNode,
  type MiReplyTree,
  parseArguments,
  parseRequestHead,
  type RequestHead,
  type TransportErrorKind,
  transportErrorReply,
} from '@mi-datagram/protocol';
import {
  compileListenerPolicy,
  type ListenerAccess,
  type ListenerPolicy,
  type ListenerStats,
  OPEN_POLICY,
} from './access.js';
import type { MiRequest } from './commands.js';
import { isMiError } from './errors.js';
import { jsonToLegacyNodes, serveJsonRpc } from './jsonrpc.js';
import { createLogger, LOG_LEVEL, type Logger } from './logger.js';
import type { CommandRegistry, RegisteredCommand } from './registry.js';
import {
  type CommandStats,
  type MiStatsSnapshot,
  PipelineMetrics,
  type ReplyClasses,
  statsSnapshot,
} from './stats.js';
import { isThenable } from './values.js';

/**
 * Hook run after the arguments are parsed and before the handler: return a
 * transport error kind to refuse the request with that line (e.g.
 * `PERMISSION_DENIED`), or `null` to let it run. Reserved for access control
 * and rate limits; none is installed by default.
 */
export type RequestGuard = (
  command: RegisteredCommand,
  request: MiRequest,
  peer: unknown,
) => TransportErrorKind | null;

export interface MiServerOptions {
  /** The commands to serve (core commands are registered by the caller). */
  readonly registry: CommandRegistry;
  /** Default: a JSON-lines logger on stderr at level 2 (NOTICE). */
  readonly logger?: Logger;
  /** `reply_indent`: indentation per tree level. Default one TAB. */
  readonly replyIndent?: string;
  /** See {@link RequestGuard}. Default none. */
  readonly guard?: RequestGuard;
}

export interface AttachOptions {
  /**
   * The transport hands `onMessage` a view into a buffer it reuses after the
   * call (transport-unix batches): copy the datagram before a handler that may
   * keep it (asynchronous user handlers) sees it. Default false.
   */
  readonly reusesBuffers?: boolean;
  /**
   * Access policy of this listener (src/access.ts): level, UDP allowlist,
   * per-source rate limit. Default {@link OPEN_POLICY} (admin, any source,
   * no limit). The allowlist is checked first, before anything is parsed.
   */
  readonly policy?: ListenerPolicy;
}

/** Counters of the pipeline; all start at 0. */
export interface MiServerStats {
  /** Datagrams handed to the pipeline. */
  readonly received: number;
  /** Replies handed to a transport. */
  readonly replied: number;
  /** Requests that got no reply by design (empty datagram). */
  readonly noReply: number;
  /** Replies that could not be sent: the sender was an unbound UNIX socket. */
  readonly unanswerable: number;
  /** Replies the transport dropped (peer gone, queue full past socket_timeout). */
  readonly dropped: number;
  /** Datagrams ignored because the server was shutting down. */
  readonly ignored: number;
  /** Transport error lines sent, by kind. */
  readonly errors: Readonly<Record<TransportErrorKind, number>>;
  /** Handlers that have not settled yet. */
  readonly inFlight: number;
  /** Replies produced (sent or not), by status class (JSON-RPC: each response by its outcome). */
  readonly replies: ReplyClasses;
  /** Replies the transports gave up: socket_timeout, pending limit, unreachable peer (their `stats().dropped`). */
  readonly transportDropped: number;
  /** Requests refused by a level check or the guard (`403`). */
  readonly refused: number;
  /** Requests refused by a rate limit (`429`). */
  readonly rateLimited: number;
  /** Datagrams dropped by an allowlist, without a reply; not in `received`. */
  readonly allowlistDropped: number;
  /** Per listener, in attach order. */
  readonly listeners: readonly ListenerStats[];
  /** Per command that was called: calls and latency percentiles. */
  readonly commands: readonly CommandStats[];
}

interface AttachedTransport {
  readonly transport: DatagramTransport<unknown>;
  readonly access: ListenerAccess;
}

const ERROR_BYTES: Readonly<Record<TransportErrorKind, Uint8Array>> = {
  NOT_AVAILABLE: transportErrorReply('NOT_AVAILABLE'),
  PARSE_ERROR: transportErrorReply('PARSE_ERROR'),
  REQUEST_TOO_LARGE: transportErrorReply('REQUEST_TOO_LARGE'),
  COMMAND_FAILED: transportErrorReply('COMMAND_FAILED'),
  REPLY_TOO_LARGE: transportErrorReply('REPLY_TOO_LARGE'),
  INTERNAL_ERROR: transportErrorReply('INTERNAL_ERROR'),
  PERMISSION_DENIED: transportErrorReply('PERMISSION_DENIED'),
  RATE_LIMITED: transportErrorReply('RATE_LIMITED'),
};

const EMPTY_ARGS: readonly MiArgument[] = Object.freeze([]);
const NO_NODES: readonly MiNode[] = Object.freeze([]);

function describePeer(peer: unknown): string {
  if (peer === null) return '(unbound)';
  if (typeof peer === 'string') return peer.startsWith('\0') ? `@${peer.slice(1)}` : peer;
  if (typeof peer === 'object' && peer !== undefined) {
    const p = peer as { address?: unknown; port?: unknown; family?: unknown };
    if (typeof p.address === 'string' && typeof p.port === 'number') {
      return p.address.includes(':') ? `[${p.address}]:${p.port}` : `${p.address}:${p.port}`;
    }
  }
  return String(peer);
}

export class MiServer {
  readonly registry: CommandRegistry;
  readonly logger: Logger;
  readonly #encodeOptions: { readonly indent: string; readonly maxSize: number };
  readonly #guard: RequestGuard | null;
  readonly #okBytes: Uint8Array;
  readonly #transports: AttachedTransport[] = [];
  /** Encoded replies of `constantReply` commands, valid for one registry generation. */
  readonly #constantReplies = new Map<RegisteredCommand, { gen: number; bytes: Uint8Array }>();
  /** Compiled policy of each attached transport (src/access.ts). */
  readonly #access = new Map<DatagramTransport<unknown>, ListenerAccess>();
  /** Reply classes and per-command latency (src/stats.ts). */
  readonly #metrics = new PipelineMetrics();
  #refused = 0;
  #rateLimited = 0;
  #accepting = true;
  #inFlight = 0;
  #drainWaiters: Array<() => void> = [];
  #closing: Promise<void> | null = null;

  #received = 0;
  #replied = 0;
  #noReply = 0;
  #unanswerable = 0;
  #dropped = 0;
  #ignored = 0;
  readonly #errors: Record<TransportErrorKind, number> = {
    NOT_AVAILABLE: 0,
    PARSE_ERROR: 0,
    REQUEST_TOO_LARGE: 0,
    COMMAND_FAILED: 0,
    REPLY_TOO_LARGE: 0,
    INTERNAL_ERROR: 0,
    PERMISSION_DENIED: 0,
    RATE_LIMITED: 0,
  };

  constructor(options: MiServerOptions) {
    this.registry = options.registry;
    this.logger = options.logger ?? createLogger();
    this.#encodeOptions = { indent: options.replyIndent ?? '\t', maxSize: MAX_DATAGRAM_SIZE };
    this.#guard = options.guard ?? null;
    this.#okBytes = encodeReply({ code: 200, reason: 'OK', nodes: NO_NODES }, this.#encodeOptions);
  }

  /** Addresses of the attached transports (`/path`, `udp:127.0.0.1:40123`). */
  get addresses(): string[] {
    return this.#transports.map((t) => t.transport.address);
  }

  /** The attached transports, in attach order. */
  get transports(): readonly DatagramTransport<unknown>[] {
    return this.#transports.map((t) => t.transport);
  }

  /** Handlers that have not settled yet. */
  get inFlight(): number {
    return this.#inFlight;
  }

  stats(): MiServerStats {
    return {
      received: this.#received,
      replied: this.#replied,
      noReply: this.#noReply,
      unanswerable: this.#unanswerable,
      dropped: this.#dropped,
      ignored: this.#ignored,
      errors: { ...this.#errors },
      inFlight: this.#inFlight,
      replies: this.#metrics.replies(),
      transportDropped: this.#transports.reduce((n, t) => n + t.transport.stats().dropped, 0),
      refused: this.#refused,
      rateLimited: this.#rateLimited,
      allowlistDropped: this.#transports.reduce((n, t) => n + t.access.allowlistDropped, 0),
      listeners: this.#transports.map((t) => t.access.stats()),
      commands: this.#metrics.commands(),
    };
  }

  /**
   * {@link stats} as a raw, mergeable JSON snapshot (histograms rather than
   * percentiles): what a worker of a pool sends for `mi_stats`.
   */
  statsSnapshot(): MiStatsSnapshot {
    return statsSnapshot(this.stats(), this.#metrics.histograms());
  }

  /**
   * The access decision for one request received on `transport` (attached
   * with a policy): that listener's rate limit for the peer's source, then
   * its level against the command's, then the {@link RequestGuard}.
   * Returns the refusal (`PERMISSION_DENIED` → `403 Permission denied`,
   * `RATE_LIMITED` → `429 rate limit exceeded`; JSON-RPC: an error with that
   * code and text) or `null` to run the command. Counts refusals; allocates
   * nothing. Call it once per request, after the arguments are parsed (a
   * command's level may depend on them) and before the handler. `request`
   * may be null only for commands whose level is fixed. `now`: a
   * `performance.now()` the caller already read (the rate limit's clock).
   */
  admit(
    transport: DatagramTransport<unknown>,
    command: RegisteredCommand,
    request: MiRequest | null,
    peer: unknown,
    now?: number,
  ): TransportErrorKind | null {
    const access = this.#access.get(transport);
    if (access?.checksRequests) {
      const refusal = access.check(command, request, peer, now);
      if (refusal !== null) {
        if (refusal === 'RATE_LIMITED') this.#rateLimited++;
        else this.#refused++;
        return refusal;
      }
    }
    if (this.#guard !== null && request !== null) {
      const refusal = this.#guard(command, request, peer);
      if (refusal !== null) {
        if (refusal === 'RATE_LIMITED') this.#rateLimited++;
        else if (refusal === 'PERMISSION_DENIED') this.#refused++;
        return refusal;
      }
    }
    return null;
  }

  /**
   * Creates a transport with `open` (which must pass the given `onMessage` to
   * it, e.g. `(onMessage) => bindUdpSocket(host, port, { onMessage })` or, in
   * a worker, `adoptUnixSocket(fd, { onMessage })`) and serves it.
   * Datagrams that arrive before `open` resolves are served once it has.
   */
  async attach<Peer>(
    open: (onMessage: DatagramHandler<Peer>) => Promise<DatagramTransport<Peer>>,
    options: AttachOptions = {},
  ): Promise<DatagramTransport<Peer>> {
    const copy = options.reusesBuffers === true;
    // Compiled once per listener: the checks below allocate nothing per datagram.
    const access = compileListenerPolicy(options.policy ?? OPEN_POLICY);
    const filtered = access.allow !== null;
    let transport: DatagramTransport<Peer> | null = null;
    let early: Array<[Uint8Array, Peer, DatagramInfo]> | null = [];
    const onMessage: DatagramHandler<Peer> = (data, peer, info) => {
      // The allowlist comes first: a datagram from another source is dropped
      // (counted) before anything is parsed, and never answered.
      if (filtered && !access.admitsSource(peer)) return;
      access.requests++;
      if (transport !== null) this.handleDatagram(transport, data, peer, info, copy);
      else early?.push([data.slice(), peer, info]);
    };
    transport = await open(onMessage);
    access.address = transport.address;
    this.#access.set(transport as DatagramTransport<unknown>, access);
    this.#transports.push({ transport: transport as DatagramTransport<unknown>, access });
    const queued = early;
    early = null;
    for (const [data, peer, info] of queued)
      this.handleDatagram(transport, data, peer, info, false);
    return transport;
  }

  /**
   * Serves one datagram received on `transport` from `peer` (the whole
   * pipeline). Never throws: every failure becomes a reply or a log line.
   * `reusesBuffers`: see {@link AttachOptions.reusesBuffers}.
   */
  handleDatagram<Peer>(
    transport: DatagramTransport<Peer>,
    data: Uint8Array,
    peer: Peer,
    info: DatagramInfo,
    reusesBuffers = false,
  ): void {
    this.#received++;
    if (!this.#accepting) {
      this.#ignored++;
      return;
    }
    try {
      this.#handle(transport, data, peer, info, reusesBuffers);
    } catch (error) {
      // Only a bug of ours gets here (handlers are guarded separately).
      this.logger.error('internal error while serving a request', {
        peer: describePeer(peer),
        error,
      });
      this.#sendError(transport, peer, 'INTERNAL_ERROR');
    }
  }

  #handle<Peer>(
    transport: DatagramTransport<Peer>,
    data: Uint8Array,
    peer: Peer,
    info: DatagramInfo,
    reusesBuffers: boolean,
  ): void {
    const length = data.length;
    // Classification point (PROTOCOL.md 4): a datagram whose first non-blank
    // byte is `{` or `[` is JSON-RPC (PROTOCOL.md 5), before the size check so
    // that an oversized JSON request gets a JSON error. A legacy request starts
    // with ':', so the legacy path pays one byte comparison; nothing is parsed.
    if (length !== 0 && data[0] !== 0x3a && classifyDatagram(data) === 'jsonrpc') {
      this.#handleJsonRpc(transport, data, peer, info, reusesBuffers);
      return;
    }
    // PROTOCOL.md 4: a truncated or oversized request is refused, never parsed.
    if (info.truncated || length > MAX_DATAGRAM_SIZE) {
      this.#debug('request too large', peer, { bytes: length, truncated: info.truncated });
      this.#sendError(transport, peer, 'REQUEST_TOO_LARGE');
      return;
    }
    if (length === 0) {
      // PROTOCOL.md 4: an empty datagram gets no reply (as the original).
      this.#noReply++;
      this.#debug('empty datagram, no reply', peer);
      return;
    }
    let head: RequestHead;
    try {
      head = parseRequestHead(data);
    } catch (error) {
      this.#protocolError(transport, peer, error);
      return;
    }
    const entry = this.registry.get(head.command);
    if (entry === undefined) {
      this.#debug('unknown command', peer, { command: head.command });
      this.#sendError(transport, peer, 'NOT_AVAILABLE');
      return;
    }
    if (entry.constantReply && this.#guard === null) {
      const cached = this.#constantReplies.get(entry);
      if (cached !== undefined && cached.gen === this.registry.generation) {
        // Fixed level (core `version`, `which`): checked without a request.
        // One clock read serves the rate limit and the latency.
        const started = performance.now();
        const refusal = this.admit(transport, entry, null, peer, started);
        if (refusal !== null) {
          this.#refuse(transport, peer, entry, refusal);
          return;
        }
        this.#send(transport, peer, cached.bytes);
        this.#metrics.recordCall(entry.name, started);
        if (this.logger.level >= LOG_LEVEL.DBG) this.#debugRequest(entry, peer, cached.bytes);
        return;
      }
    }
    // The handler may keep the request (and lazily decoded arguments) past this
    // call: copy a datagram that lives in a buffer the transport reuses.
    const datagram = reusesBuffers && entry.module !== 'core' ? data.slice() : data;
    let args: readonly MiArgument[] = EMPTY_ARGS;
    if (!entry.noInput) {
      try {
        args = parseArguments(datagram, head.bodyOffset);
      } catch (error) {
        this.#protocolError(transport, peer, error);
        return;
      }
    }
    const request: MiRequest = { command: head.command, args, rawArgs: args, datagram };
    // Access (src/access.ts): rate limit, level, guard. A refused request
    // never runs. One clock read serves the rate limit and the latency.
    const started = performance.now();
    const refusal = this.admit(transport, entry, request, peer, started);
    if (refusal !== null) {
      this.#refuse(transport, peer, entry, refusal);
      return;
    }
    let result: unknown;
    try {
      result = entry.handler(request);
    } catch (error) {
      this.#handlerFailed(transport, peer, entry, error);
      this.#metrics.recordCall(entry.name, started);
      return;
    }
    if (isThenable(result)) {
      this.#inFlight++;
      Promise.resolve(result).then(
        (value) => {
          this.#settled();
          this.#finish(transport, peer, entry, value);
          this.#metrics.recordCall(entry.name, started);
        },
        (error: unknown) => {
          this.#settled();
          this.#handlerFailed(transport, peer, entry, error);
          this.#metrics.recordCall(entry.name, started);
        },
      );
      return;
    }
    this.#finish(transport, peer, entry, result);
    this.#metrics.recordCall(entry.name, started);
  }

  #refuse<Peer>(
    transport: DatagramTransport<Peer>,
    peer: Peer,
    entry: RegisteredCommand,
    refusal: TransportErrorKind,
  ): void {
    this.#debug('request refused', peer, { command: entry.name, refusal });
    this.#sendError(transport, peer, refusal);
  }

  #settled(): void {
    this.#inFlight--;
    if (this.#inFlight === 0 && this.#drainWaiters.length > 0) {
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Encodes a handler's result and sends it. */
  #finish<Peer>(
    transport: DatagramTransport<Peer>,
    peer: Peer,
    entry: RegisteredCommand,
    result: unknown,
  ): void {
    let bytes: Uint8Array;
    if (result === undefined || result === null) {
      bytes = this.#okBytes;
    } else if (typeof result !== 'object' || Array.isArray(result)) {
      this.logger.error('command handler returned something other than a result object', {
        command: entry.name,
        returned: typeof result,
      });
      this.#sendError(transport, peer, 'COMMAND_FAILED');
      return;
    } else {
      const r = result as { code?: unknown; reason?: unknown; nodes?: unknown; json?: unknown };
      const code = r.code === undefined ? 200 : r.code;
      let nodes = r.nodes;
      if ((nodes === undefined || nodes === null) && r.json !== undefined) {
        // A JSON-first result without its own legacy tree (README "JSON-first commands").
        try {
          nodes = jsonToLegacyNodes(r.json as JsonValue);
        } catch (error) {
          this.#invalidJsonResult(transport, peer, entry, error);
          return;
        }
      }
      const tree = {
        code,
        reason: r.reason === undefined ? (code === 200 ? 'OK' : '') : r.reason,
        nodes: nodes === undefined || nodes === null ? NO_NODES : nodes,
      } as MiReplyTree;
      const encoded = this.#encode(transport, peer, entry, tree);
      if (encoded === null) return;
      bytes = encoded;
      if (entry.constantReply) {
        this.#constantReplies.set(entry, { gen: this.registry.generation, bytes });
      }
    }
    this.#send(transport, peer, bytes);
    if (this.logger.level >= LOG_LEVEL.DBG) this.#debugRequest(entry, peer, bytes);
  }

  /** encodeReply with the error mapping of PROTOCOL.md 4; null when an error line was sent. */
  #encode<Peer>(
    transport: DatagramTransport<Peer>,
    peer: Peer,
    entry: RegisteredCommand,
    tree: MiReplyTree,
  ): Uint8Array | null {
    try {
      return encodeReply(tree, this.#encodeOptions);
    } catch (error) {
      if (isMiProtocolError(error) && error.code === 'REPLY_TOO_LARGE') {
        this.logger.warn('reply too large', { command: entry.name, limit: MAX_DATAGRAM_SIZE });
        this.#sendError(transport, peer, 'REPLY_TOO_LARGE');
      } else if (isMiProtocolError(error) && error.code === 'INVALID_REPLY') {
        this.logger.error('command handler returned an invalid reply', {
          command: entry.name,
          module: entry.module,
          error,
        });
        this.#sendError(transport, peer, 'COMMAND_FAILED');
      } else {
        this.logger.error('cannot encode reply', { command: entry.name, error });
        this.#sendError(transport, peer, 'INTERNAL_ERROR');
      }
      return null;
    }
  }

  /** A JSON-first result that is not JSON (legacy request): as an invalid reply. */
  #invalidJsonResult<Peer>(
    transport: DatagramTransport<Peer>,
    peer: Peer,
    entry: RegisteredCommand,
    error: unknown,
  ): void {
    if (error instanceof RangeError) {
      this.logger.warn('reply too large', { command: entry.name, limit: MAX_DATAGRAM_SIZE });
      this.#sendError(transport, peer, 'REPLY_TOO_LARGE');
      return;
    }
    this.logger.error('command handler returned an invalid reply', {
      command: entry.name,
      module: entry.module,
      error,
    });
    this.#sendError(transport, peer, 'COMMAND_FAILED');
  }

  /**
   * A JSON-RPC datagram (PROTOCOL.md 5, src/jsonrpc.ts): same registry, guard
   * and handlers; the reply is always JSON (nothing for notifications).
   */
  #handleJsonRpc<Peer>(
    transport: DatagramTransport<Peer>,
    data: Uint8Array,
    peer: Peer,
    info: DatagramInfo,
    reusesBuffers: boolean,
  ): void {
    const reply = serveJsonRpc(
      {
        registry: this.registry,
        logger: this.logger,
        // Same access decision as legacy requests (rate limit, level, guard).
        guard: (entry, request) => this.admit(transport, entry, request, peer),
        describePeer: () => describePeer(peer),
        onCall: (command, startedMs) => this.#metrics.recordCall(command, startedMs),
        // Replies are counted by outcome here, not by their first byte (#deliver).
        onResponse: (errorCode) => this.#metrics.countJsonRpc(errorCode),
      },
      data,
      info.truncated,
      // Handlers may keep `request.datagram` past this call.
      reusesBuffers ? data.slice() : data,
    );
    if (!(reply instanceof Promise)) {
      this.#sendJsonRpc(transport, peer, reply);
      return;
    }
    this.#inFlight++;
    void reply.then((bytes) => {
      this.#settled();
      this.#sendJsonRpc(transport, peer, bytes);
    });
  }

  #sendJsonRpc<Peer>(
    transport: DatagramTransport<Peer>,
    peer: Peer,
    bytes: Uint8Array | null,
  ): void {
    if (bytes === null) {
      // Notifications only: executed, never answered.
      this.#noReply++;
      return;
    }
    this.#deliver(transport, peer, bytes);
  }

  #handlerFailed<Peer>(
    transport: DatagramTransport<Peer>,
    peer: Peer,
    entry: RegisteredCommand,
    error: unknown,
  ): void {
    if (isMiError(error)) {
      // ARCHITECTURE.md: an MiError is an ordinary reply with that status.
      const bytes = this.#encode(transport, peer, entry, {
        code: error.code,
        reason: error.reason,
        nodes: NO_NODES,
      });
      if (bytes === null) return;
      this.#send(transport, peer, bytes);
      if (this.logger.level >= LOG_LEVEL.DBG) this.#debugRequest(entry, peer, bytes);
      return;
    }
    this.logger.error('command handler failed', {
      command: entry.name,
      module: entry.module,
      peer: describePeer(peer),
      error: error instanceof Error ? error : String(error),
    });
    this.#sendError(transport, peer, 'COMMAND_FAILED');
  }

  #protocolError<Peer>(transport: DatagramTransport<Peer>, peer: Peer, error: unknown): void {
    if (!isMiProtocolError(error)) throw error;
    switch (error.code) {
      case 'EMPTY_DATAGRAM':
        this.#noReply++;
        return;
      case 'REQUEST_TOO_LARGE':
        this.#sendError(transport, peer, 'REQUEST_TOO_LARGE');
        return;
      case 'NOT_AVAILABLE':
        this.#debug('bad first line', peer, { offset: error.offset });
        this.#sendError(transport, peer, 'NOT_AVAILABLE');
        return;
      case 'PARSE_ERROR':
        this.#debug('parse error', peer, { offset: error.offset, reason: error.message });
        this.#sendError(transport, peer, 'PARSE_ERROR');
        return;
      default:
        throw error;
    }
  }

  #sendError<Peer>(transport: DatagramTransport<Peer>, peer: Peer, kind: TransportErrorKind): void {
    this.#errors[kind]++;
    this.#send(transport, peer, ERROR_BYTES[kind]);
  }

  /** A legacy reply: counted by its status (first byte), then delivered. */
  #send<Peer>(transport: DatagramTransport<Peer>, peer: Peer, bytes: Uint8Array): void {
    this.#metrics.countReply(bytes);
    this.#deliver(transport, peer, bytes);
  }

  /** Hands a reply (already counted by its class) to the transport. */
  #deliver<Peer>(transport: DatagramTransport<Peer>, peer: Peer, bytes: Uint8Array): void {
    if (peer === null) {
      // PROTOCOL.md 1: an unbound UNIX sender cannot be answered.
      this.#unanswerable++;
      if (this.logger.level >= LOG_LEVEL.DBG) {
        this.logger.debug('reply not sent: the sender has no address (unbound UNIX socket)');
      }
      return;
    }
    let outcome: string;
    try {
      outcome = transport.send(bytes, peer);
    } catch (error) {
      this.#dropped++;
      this.logger.error('transport refused a reply', { peer: describePeer(peer), error });
      return;
    }
    if (outcome === 'dropped') {
      this.#dropped++;
      if (this.logger.level >= LOG_LEVEL.DBG) {
        this.logger.debug('reply dropped by the transport', { peer: describePeer(peer) });
      }
    } else {
      this.#replied++;
    }
  }

  #debug(msg: string, peer: unknown, fields?: Record<string, unknown>): void {
    if (this.logger.level >= LOG_LEVEL.DBG) {
      this.logger.debug(msg, { peer: describePeer(peer), ...fields });
    }
  }

  #debugRequest(entry: RegisteredCommand, peer: unknown, reply: Uint8Array): void {
    let end = reply.indexOf(0x0a);
    if (end < 0) end = reply.length;
    this.logger.debug('request', {
      command: entry.name,
      peer: describePeer(peer),
      status: Buffer.from(reply.subarray(0, end)).toString('utf8'),
      replyBytes: reply.length,
    });
  }

  /**
   * Resolves when no handler is in flight, or after `timeoutMs` (then false).
   */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.#inFlight === 0) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#drainWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /**
   * Graceful stop: ignore new datagrams, wait (at most `timeoutMs`, default
   * 5000) for in-flight handlers and for replies the transports are still
   * retrying, then close every transport (which removes UNIX socket files
   * they created). Idempotent.
   */
  close(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    this.#accepting = false;
    const timeoutMs = options.timeoutMs ?? 5000;
    this.#closing = (async () => {
      const deadline = Date.now() + timeoutMs;
      if (!(await this.drain(timeoutMs))) {
        this.logger.warn('shutdown: handlers still running after the grace period', {
          inFlight: this.#inFlight,
        });
      }
      while (
        Date.now() < deadline &&
        this.#transports.some((t) => t.transport.stats().pending > 0)
      ) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const results = await Promise.allSettled(this.#transports.map((t) => t.transport.close()));
      for (const r of results) {
        if (r.status === 'rejected') {
          this.logger.error('error while closing a transport', { error: r.reason });
        }
      }
    })();
    return this.#closing;
  }
}
