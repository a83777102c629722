/**
 * What every step of the request path shares: one per `MiServer`. The
 * counters are plain fields (the steps bump them directly; nothing is
 * allocated per datagram).
 */
import {
  type DatagramTransport,
  encodeReply,
  type JsonRpcResultTemplate,
  MAX_DATAGRAM_SIZE,
  type MiNode,
  type TransportErrorKind,
} from '@mi-datagram/protocol';
import type { ListenerAccess } from '../access/index.js';
import type {
  CommandRegistry,
  ConstantReplyKey,
  MiRequest,
  MiSharedStore,
  RegisteredCommand,
} from '../commands/index.js';
import type { Logger } from '../ops/index.js';
import { PipelineMetrics } from '../statistics/index.js';
import { WorkGate } from './gate.js';
import type { WorkLimits } from './limits.js';

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

/** What a `constantReply` command answered, and the key it was built for (src/commands/registry.ts). */
export interface CachedReply<T> {
  readonly key: ConstantReplyKey;
  readonly value: T;
}

/** The cached reply of `entry`, if it was built for what the registry and the command are now. */
export function currentReply<T>(
  ctx: RequestState,
  cache: ReadonlyMap<RegisteredCommand, CachedReply<T>>,
  entry: RegisteredCommand,
): T | null {
  const cached = cache.get(entry);
  if (cached === undefined || cached.key.gen !== ctx.registry.generation) return null;
  return cached.key.version === entry.replyVersion() ? cached.value : null;
}

export const NO_NODES: readonly MiNode[] = Object.freeze([]);

export class RequestState {
  readonly registry: CommandRegistry;
  readonly logger: Logger;
  readonly guard: RequestGuard | null;
  readonly encodeOptions: { readonly indent: string; readonly maxSize: number };
  /** `200 OK` without nodes, encoded once. */
  readonly okBytes: Uint8Array;
  /** Encoded replies of `constantReply` commands, each valid for its key (registry generation, reply version). */
  readonly constantReplies = new Map<RegisteredCommand, CachedReply<Uint8Array>>();
  /** Encoded JSON-RPC results of `constantReply` commands, each valid for its key. */
  readonly jsonRpcTemplates = new Map<RegisteredCommand, CachedReply<JsonRpcResultTemplate>>();
  /** Compiled policy of each attached transport (src/access/access.ts). */
  readonly access = new Map<DatagramTransport<unknown>, ListenerAccess>();
  /** Reply classes and per-command latency (src/statistics/metrics.ts). */
  readonly metrics = new PipelineMetrics();
  /** The in-flight bound and the handlers' deadlines (src/request/gate.ts). */
  readonly gate: WorkGate;

  accepting = true;
  inFlight = 0;
  #drainWaiters: Array<() => void> = [];

  received = 0;
  replied = 0;
  noReply = 0;
  unanswerable = 0;
  dropped = 0;
  ignored = 0;
  refused = 0;
  rateLimited = 0;
  readonly errors: Record<TransportErrorKind, number> = {
    NOT_AVAILABLE: 0,
    PARSE_ERROR: 0,
    REQUEST_TOO_LARGE: 0,
    COMMAND_FAILED: 0,
    REPLY_TOO_LARGE: 0,
    INTERNAL_ERROR: 0,
    PERMISSION_DENIED: 0,
    RATE_LIMITED: 0,
    SERVER_BUSY: 0,
    COMMAND_TIMED_OUT: 0,
  };

  /** What handlers see as `request.shared`. */
  readonly shared: MiSharedStore;

  constructor(
    registry: CommandRegistry,
    logger: Logger,
    guard: RequestGuard | null,
    replyIndent: string,
    shared: MiSharedStore,
    bound: { readonly limits?: WorkLimits; readonly commandTimeoutMs?: number } = {},
  ) {
    this.shared = shared;
    this.registry = registry;
    this.logger = logger;
    this.gate = new WorkGate({
      logger,
      ...(bound.limits === undefined ? {} : { limits: bound.limits }),
      ...(bound.commandTimeoutMs === undefined ? {} : { commandTimeoutMs: bound.commandTimeoutMs }),
    });
    this.guard = guard;
    this.encodeOptions = { indent: replyIndent, maxSize: MAX_DATAGRAM_SIZE };
    this.okBytes = encodeReply({ code: 200, reason: 'OK', nodes: NO_NODES }, this.encodeOptions);
  }

  /** A handler (or a JSON-RPC datagram) started and has not settled yet. */
  started(): void {
    this.inFlight++;
  }

  /** The counterpart of {@link started}: wakes {@link drain} at zero. */
  settled(): void {
    this.inFlight--;
    if (this.inFlight === 0 && this.#drainWaiters.length > 0) {
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Resolves when no handler is in flight, or after `timeoutMs` (then false). */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#drainWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
