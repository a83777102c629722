/**
 * `MiServer`: the request pipeline (PROTOCOL.md 2–4) over any number of
 * already-created transports. It holds no socket code: a transport is bound
 * (or adopted, in a worker process) elsewhere and attached here.
 *
 * It holds the state of the request path (src/request/state.ts) and hands
 * each datagram to it (src/request/pipeline.ts).
 */
import type {
  DatagramHandler,
  DatagramInfo,
  DatagramTransport,
  TransportErrorKind,
} from '@mi-datagram/protocol';
import {
  compileListenerPolicy,
  type ListenerAccess,
  type ListenerPolicy,
  OPEN_POLICY,
} from '../access/index.js';
import type { CommandRegistry, MiRequest, RegisteredCommand } from '../commands/index.js';
import { createLogger, type Logger } from '../ops/index.js';
import {
  type CommandStats,
  type ListenerStats,
  type MiStatsSnapshot,
  type ReplyClasses,
  statsSnapshot,
} from '../statistics/index.js';
import { admit } from './guard.js';
import { serveDatagram } from './pipeline.js';
import { type RequestGuard, RequestState } from './state.js';

export type { RequestGuard };

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
   * Access policy of this listener (src/access/access.ts): level, UDP allowlist,
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

export class MiServer {
  readonly registry: CommandRegistry;
  readonly logger: Logger;
  readonly #state: RequestState;
  readonly #transports: AttachedTransport[] = [];
  #closing: Promise<void> | null = null;

  constructor(options: MiServerOptions) {
    this.registry = options.registry;
    this.logger = options.logger ?? createLogger();
    this.#state = new RequestState(
      this.registry,
      this.logger,
      options.guard ?? null,
      options.replyIndent ?? '\t',
    );
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
    return this.#state.inFlight;
  }

  stats(): MiServerStats {
    const s = this.#state;
    return {
      received: s.received,
      replied: s.replied,
      noReply: s.noReply,
      unanswerable: s.unanswerable,
      dropped: s.dropped,
      ignored: s.ignored,
      errors: { ...s.errors },
      inFlight: s.inFlight,
      replies: s.metrics.replies(),
      transportDropped: this.#transports.reduce((n, t) => n + t.transport.stats().dropped, 0),
      refused: s.refused,
      rateLimited: s.rateLimited,
      allowlistDropped: this.#transports.reduce((n, t) => n + t.access.allowlistDropped, 0),
      listeners: this.#transports.map((t) => t.access.stats()),
      commands: s.metrics.commands(),
    };
  }

  /**
   * {@link stats} as a raw, mergeable JSON snapshot (histograms rather than
   * percentiles): what a worker of a pool sends for `mi_stats`.
   */
  statsSnapshot(): MiStatsSnapshot {
    return statsSnapshot(this.stats(), this.#state.metrics.histograms());
  }

  /**
   * The access decision for one request received on `transport`: see
   * src/request/guard.ts `admit` (rate limit, level, then the
   * {@link RequestGuard}). Returns the refusal or `null` to run the command;
   * counts refusals.
   */
  admit(
    transport: DatagramTransport<unknown>,
    command: RegisteredCommand,
    request: MiRequest | null,
    peer: unknown,
    now?: number,
  ): TransportErrorKind | null {
    return admit(this.#state, transport, command, request, peer, now);
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
    const state = this.#state;
    let transport: DatagramTransport<Peer> | null = null;
    let early: Array<[Uint8Array, Peer, DatagramInfo]> | null = [];
    const onMessage: DatagramHandler<Peer> = (data, peer, info) => {
      // The allowlist comes first: a datagram from another source is dropped
      // (counted) before anything is parsed, and never answered.
      if (filtered && !access.admitsSource(peer)) return;
      access.requests++;
      if (transport !== null) serveDatagram(state, transport, data, peer, info, copy);
      else early?.push([data.slice(), peer, info]);
    };
    transport = await open(onMessage);
    access.address = transport.address;
    state.access.set(transport as DatagramTransport<unknown>, access);
    this.#transports.push({ transport: transport as DatagramTransport<unknown>, access });
    const queued = early;
    early = null;
    for (const [data, peer, info] of queued)
      serveDatagram(state, transport, data, peer, info, false);
    return transport;
  }

  /**
   * Serves one datagram received on `transport` from `peer` (the whole
   * request path, src/request/pipeline.ts). Never throws: every failure
   * becomes a reply or a log line.
   * `reusesBuffers`: see {@link AttachOptions.reusesBuffers}.
   */
  handleDatagram<Peer>(
    transport: DatagramTransport<Peer>,
    data: Uint8Array,
    peer: Peer,
    info: DatagramInfo,
    reusesBuffers = false,
  ): void {
    serveDatagram(this.#state, transport, data, peer, info, reusesBuffers);
  }

  /**
   * Resolves when no handler is in flight, or after `timeoutMs` (then false).
   */
  async drain(timeoutMs: number): Promise<boolean> {
    return this.#state.drain(timeoutMs);
  }

  /**
   * Graceful stop: ignore new datagrams, wait (at most `timeoutMs`, default
   * 5000) for in-flight handlers and for replies the transports are still
   * retrying, then close every transport (which removes UNIX socket files
   * they created). Idempotent.
   */
  close(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    this.#state.accepting = false;
    const timeoutMs = options.timeoutMs ?? 5000;
    this.#closing = (async () => {
      const deadline = Date.now() + timeoutMs;
      if (!(await this.drain(timeoutMs))) {
        this.logger.warn('shutdown: handlers still running after the grace period', {
          inFlight: this.#state.inFlight,
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
