import { type DatagramHandler, MAX_DATAGRAM_SIZE } from '@mi-datagram/protocol';
import { UnixTransportError } from './errors.js';

/** The protocol's largest request or reply (PROTOCOL.md 1: 65457 bytes), re-exported. */
export { MAX_DATAGRAM_SIZE };

/**
 * Sender of a datagram: its socket path, a Linux abstract name (a string
 * starting with `'\0'`), or `null` for an unbound sender, which cannot be
 * answered.
 */
export type UnixPeer = string | null;

/** Options of every constructor in this package. All optional. */
export interface UnixTransportOptions {
  /**
   * Called for each received datagram, in arrival order (several per wakeup).
   * `data` is a view into a buffer shared by the batch: copy it if you keep
   * it for long (with `zeroCopy`, it is valid only until this call returns). Omit it and the socket does not receive at all (the primary
   * of a worker pool binds only). An exception thrown here becomes an
   * uncaught exception after the rest of the batch has been delivered, as
   * for any event listener. Default: none.
   */
  readonly onMessage?: DatagramHandler<UnixPeer>;
  /**
   * Transport errors that are not thrown: receive failures, and replies that
   * could not be delivered (code `PEER_UNREACHABLE`, reported once per errno
   * name per transport; later ones are only counted). Default: written to the
   * `NODE_DEBUG=mi-datagram` debug log.
   */
  readonly onError?: (err: Error) => void;
  /** Non-fatal notices (mode 0 replaced by 0600, replaced socket file left in place, …). Default: debug log. */
  readonly onWarning?: (message: string) => void;
  /** How long (ms) a reply that meets a full peer queue (EAGAIN) is retried before it is dropped. Default 2000. */
  readonly socketTimeout?: number;
  /** Most replies waiting for a retry, all peers together; more are dropped. Default 1024. */
  readonly maxPendingReplies?: number;
  /** Most bytes of replies waiting for a retry, all peers together. Default 8 MiB (8388608). */
  readonly maxPendingBytes?: number;
  /** Most replies waiting for one peer, so one client that never reads cannot use up the others' share. Default 64. */
  readonly maxPendingPerPeer?: number;
  /** SO_RCVBUF in bytes (the kernel doubles it and caps it at net.core.rmem_max unless root). Default: kernel default. */
  readonly receiveBufferSize?: number;
  /** SO_SNDBUF in bytes. Datagrams queued at slow peers count against it. Default: kernel default. */
  readonly sendBufferSize?: number;
  /**
   * Datagrams read per recvmmsg() and handed to `onMessage` per batch (1–64).
   * At most 4 batches are read per wakeup, so a flood cannot starve the
   * event loop; with 1, one datagram per wakeup (no second system call that
   * finds the queue empty: right for a reply socket that expects one). Use 1
   * also when several processes share one socket and handlers are slow, so
   * that a burst spreads over them. Default 32.
   */
  readonly receiveBatchSize?: number;
  /**
   * Hand `onMessage` views of the receive buffer itself instead of a copy of
   * each batch: nothing is allocated or copied per datagram, but `data` is
   * valid only until `onMessage` returns (the next datagram is received into
   * the same memory): read it, or copy what you keep, before returning. For
   * clients that parse each reply at once. Default false.
   */
  readonly zeroCopy?: boolean;
  /**
   * Largest datagram in both directions: `send()` throws `DATAGRAM_TOO_LARGE`
   * above it, and a received datagram longer than it (or than 65536 bytes,
   * the receive slot) is cut and delivered with `truncated: true`.
   * Default 65457 ({@link MAX_DATAGRAM_SIZE}).
   */
  readonly maxDatagramSize?: number;
  /**
   * Permission bits of the socket file (`unix_socket_mode`), at most 0o777.
   * 0 means 0o600, with a warning (as the original). Ignored for abstract
   * names. Default 0o660 (0o600 for {@link openUnixReplySocket}).
   */
  readonly mode?: number;
  /**
   * Owner of the socket file (`unix_socket_user`): a user name or a numeric
   * id. A name also sets the group to the user's primary group unless `group`
   * is given. Default: the process's own.
   */
  readonly user?: string | number;
  /** Group of the socket file (`unix_socket_group`): a name or a numeric id. Default: the process's own. */
  readonly group?: string | number;
}

/** The options with defaults filled in. */
export interface ResolvedOptions {
  readonly onMessage: DatagramHandler<UnixPeer> | undefined;
  readonly onError: ((err: Error) => void) | undefined;
  readonly onWarning: ((message: string) => void) | undefined;
  readonly socketTimeout: number;
  readonly maxPendingReplies: number;
  readonly maxPendingBytes: number;
  readonly maxPendingPerPeer: number;
  readonly receiveBufferSize: number;
  readonly sendBufferSize: number;
  readonly receiveBatchSize: number;
  readonly zeroCopy: boolean;
  readonly maxDatagramSize: number;
}

export const DEFAULTS = {
  socketTimeout: 2000,
  maxPendingReplies: 1024,
  maxPendingBytes: 8 * 1024 * 1024,
  maxPendingPerPeer: 64,
  receiveBatchSize: 32,
  mode: 0o660,
  replyMode: 0o600,
  replyDirMode: 0o711,
} as const;

function invalid(message: string): UnixTransportError {
  return new UnixTransportError('INVALID_ARGUMENT', message);
}

function intOption(
  options: UnixTransportOptions,
  name: keyof UnixTransportOptions,
  min: number,
  max: number,
  fallback: number,
): number {
  const value: unknown = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`option ${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

function boolOption(
  options: UnixTransportOptions,
  name: keyof UnixTransportOptions,
  fallback: boolean,
): boolean {
  const value: unknown = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalid(`option ${name} must be a boolean`);
  return value;
}

function fnOption<F>(
  options: UnixTransportOptions,
  name: keyof UnixTransportOptions,
): F | undefined {
  const value: unknown = options[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw invalid(`option ${name} must be a function`);
  return value as F;
}

export function resolveOptions(options: unknown): ResolvedOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null) throw invalid('options must be an object');
  const o = options as UnixTransportOptions;
  return {
    onMessage: fnOption<DatagramHandler<UnixPeer>>(o, 'onMessage'),
    onError: fnOption<(err: Error) => void>(o, 'onError'),
    onWarning: fnOption<(message: string) => void>(o, 'onWarning'),
    socketTimeout: intOption(o, 'socketTimeout', 0, 2 ** 31 - 1, DEFAULTS.socketTimeout),
    maxPendingReplies: intOption(
      o,
      'maxPendingReplies',
      0,
      2 ** 31 - 1,
      DEFAULTS.maxPendingReplies,
    ),
    maxPendingBytes: intOption(
      o,
      'maxPendingBytes',
      0,
      Number.MAX_SAFE_INTEGER,
      DEFAULTS.maxPendingBytes,
    ),
    maxPendingPerPeer: intOption(
      o,
      'maxPendingPerPeer',
      0,
      2 ** 31 - 1,
      DEFAULTS.maxPendingPerPeer,
    ),
    receiveBufferSize: intOption(o, 'receiveBufferSize', 1, 2 ** 30, 0) || 0,
    sendBufferSize: intOption(o, 'sendBufferSize', 1, 2 ** 30, 0) || 0,
    receiveBatchSize: intOption(o, 'receiveBatchSize', 1, 64, DEFAULTS.receiveBatchSize),
    zeroCopy: boolOption(o, 'zeroCopy', false),
    maxDatagramSize: intOption(o, 'maxDatagramSize', 0, 2 ** 30, MAX_DATAGRAM_SIZE),
  };
}

/** `unix_socket_mode`: 0 → 0600 with a warning (PROTOCOL.md 1). */
export function resolveMode(
  options: UnixTransportOptions,
  fallback: number,
  warn: (message: string) => void,
): number {
  const mode: unknown = options.mode;
  if (mode === undefined) return fallback;
  if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o777) {
    throw invalid(`option mode must be permission bits from 0 to 0o777, got ${String(mode)}`);
  }
  if (mode === 0) {
    warn('unix socket mode 0 is not usable: using 0600 instead');
    return 0o600;
  }
  return mode;
}
