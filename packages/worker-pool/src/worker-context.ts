/**
 * What a worker module sees: the types of the context its `startWorker`
 * (or default export) receives. The implementation is in worker-context-impl.ts.
 */
import type { DatagramInfo, DatagramTransport } from '@mi-datagram/protocol';
import type { UdpPeer, UdpTransportOptions } from '@mi-datagram/transport-udp';
import type { UnixPeer, UnixTransportOptions } from '@mi-datagram/transport-unix';
import type { JsonValue } from './json.js';
import type { BroadcastResult, LogLevel, SocketKind } from './messages.js';
import type { ProcessInfo, ProcessTableSnapshot } from './process-table.js';

/** The sender of a datagram: a socket path (or null for an unbound sender) on UNIX, `{ address, port, family }` on UDP. */
export type WorkerPeer = UnixPeer | UdpPeer;

/**
 * Handles one datagram. Return a promise to have the worker count the
 * request as in flight until it settles: a graceful stop waits for it.
 * A throw or a rejection is logged and does not stop the worker.
 */
export type WorkerDatagramHandler = (
  data: Uint8Array,
  peer: WorkerPeer,
  info: DatagramInfo,
) => void | Promise<void>;

/** Options of `context.adopt`. */
export interface AdoptOptions {
  /** Which of the pool's sockets to adopt: an index into `context.sockets`. Default 0. */
  readonly socket?: number;
  /** `socket_timeout` (ms) for replies; the transports' default (2000) if absent. */
  readonly socketTimeout?: number;
  /** Transport errors that are not thrown. Default: sent to the primary's log as `error`. */
  readonly onError?: (error: Error) => void;
  /** Further options of the UNIX transport (used when the socket is a UNIX one). */
  readonly unix?: Omit<
    UnixTransportOptions,
    'onMessage' | 'onError' | 'socketTimeout' | 'mode' | 'user' | 'group'
  >;
  /** Further options of the UDP transport (used when the socket is a UDP one). */
  readonly udp?: Omit<UdpTransportOptions, 'onMessage' | 'onError' | 'socketTimeout' | 'lookup'>;
}

/** Answers a request another process addressed to this worker; the value must be JSON. */
export type WorkerRequestHandler = (
  payload: unknown,
  from: ProcessInfo,
) => JsonValue | undefined | Promise<JsonValue | undefined>;

export interface WorkerCallOptions {
  /** Default 5 000 ms. */
  readonly timeoutMs?: number;
}

export interface WorkerContext {
  /** The slot number, 1..N; a replacement keeps the id of the worker it replaces. */
  readonly workerId: number;
  /** 1 for the first process of this slot, +1 for each replacement. */
  readonly generation: number;
  readonly pid: number;
  readonly primaryPid: number;
  /** The (first) shared socket: its kind and address (`/path`, `udp:127.0.0.1:40123`). */
  readonly socket: { readonly kind: SocketKind; readonly address: string };
  /** Every shared socket of the pool, in the order of its `sockets` option. */
  readonly sockets: readonly { readonly kind: SocketKind; readonly address: string }[];
  /** `options.workerData` of the pool (null if none). */
  readonly workerData: JsonValue;
  /** True once this worker has been told to stop (or lost its primary). */
  readonly stopping: boolean;

  /**
   * Starts receiving from a shared socket (`options.socket`, default 0):
   * `onMessage` gets every datagram the kernel hands to this process; reply
   * with the returned transport's `send`. Call it once per socket. Until it
   * is called this worker takes no datagrams from that socket (they stay
   * queued for the others).
   */
  adopt(
    onMessage: WorkerDatagramHandler,
    options?: AdoptOptions,
  ): Promise<DatagramTransport<WorkerPeer>>;

  /** The whole pool's process table, from the primary (states and log levels included). */
  processTable(): Promise<readonly ProcessInfo[]>;
  /**
   * Which processes the pool has (IDs, PIDs, kinds), without asking: the
   * primary announces it to every worker whenever a process starts or exits,
   * with a higher `generation` each time (the same object until the next
   * announcement). Null until the first announcement has arrived (it follows
   * the worker's start message).
   */
  processSnapshot(): ProcessTableSnapshot | null;
  /** Sends `payload` to the primary's `onRequest` handler and resolves with its answer. */
  request(payload: JsonValue, options?: WorkerCallOptions): Promise<unknown>;
  /** Sends `payload` to the process with `pid` (worker or primary), relayed by the primary. */
  sendToPid(pid: number, payload: JsonValue, options?: WorkerCallOptions): Promise<unknown>;
  /** Sends `payload` to every other process (primary and ready workers); one result each. */
  broadcast(payload: JsonValue, options?: WorkerCallOptions): Promise<readonly BroadcastResult[]>;
  /** Sets (or, with null, removes) the handler for requests addressed to this worker. */
  onRequest(handler: WorkerRequestHandler | null): void;

  /** Publishes this worker's log level in the process table (null removes it). */
  setLogLevel(level: number | null): void;
  /** Sends a line to the primary's `onLog`. */
  log(level: LogLevel, message: string): void;
  /**
   * Runs `hook` during a graceful stop, after in-flight requests have
   * finished and before the transport is closed and the process exits.
   */
  onStop(hook: () => void | Promise<void>): void;
  /** Asks the primary to shut the whole pool down (e.g. for an MI `kill`). */
  requestShutdown(reason?: string): void;
}

/** The signature of a worker module's `startWorker` (or default export). */
export type StartWorker = (context: WorkerContext) => void | Promise<void>;
