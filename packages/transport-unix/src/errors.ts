import { constants as osConstants } from 'node:os';
/** Stable machine-readable codes of {@link UnixTransportError}; match on these, not on messages. */
export const UnixTransportErrorCode = {
  /** Something other than a socket (regular file, directory, symlink, …) sits at the path; it was left untouched. */
  PATH_NOT_SOCKET: 'PATH_NOT_SOCKET',
  /** A live server answers on the socket at the path (or the address is otherwise taken). */
  ADDRESS_IN_USE: 'ADDRESS_IN_USE',
  /** The path does not fit in `sun_path` (107 bytes for a file path, 108 for an abstract name). */
  PATH_TOO_LONG: 'PATH_TOO_LONG',
  /** An adopted descriptor is not an open AF_UNIX SOCK_DGRAM socket. */
  NOT_DATAGRAM_SOCKET: 'NOT_DATAGRAM_SOCKET',
  /** An adopted descriptor already belongs to another socket object of this process (it would be closed twice). */
  FD_ALREADY_OWNED: 'FD_ALREADY_OWNED',
  /** A caller-supplied argument or option is invalid. */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** `send()` was given more than `maxDatagramSize` bytes. */
  DATAGRAM_TOO_LARGE: 'DATAGRAM_TOO_LARGE',
  /** `user` names no known user. */
  UNKNOWN_USER: 'UNKNOWN_USER',
  /** `group` names no known group. */
  UNKNOWN_GROUP: 'UNKNOWN_GROUP',
  /** The transport is closed. */
  CLOSED: 'CLOSED',
  /** A reply could not be delivered: the peer is gone or refuses (reported, never thrown). */
  PEER_UNREACHABLE: 'PEER_UNREACHABLE',
  /** A system call failed; `errno` holds its name (e.g. `EACCES`). */
  SYSCALL: 'SYSCALL',
  /** The native addon is missing (not built) or could not be loaded. */
  ADDON_NOT_LOADED: 'ADDON_NOT_LOADED',
} as const;

export type UnixTransportErrorCode =
  (typeof UnixTransportErrorCode)[keyof typeof UnixTransportErrorCode];

export interface UnixTransportErrorDetails {
  /** The errno name of the failed system call (`EACCES`, `ENOENT`, …). */
  readonly errno?: string;
  /** The socket path involved. */
  readonly path?: string;
  /** The underlying error, if any. */
  readonly cause?: unknown;
}

/** The one error class this package throws or reports. Messages are single lines. */
export class UnixTransportError extends Error {
  override readonly name = 'UnixTransportError';
  readonly code: UnixTransportErrorCode;
  readonly errno?: string;
  readonly path?: string;

  constructor(
    code: UnixTransportErrorCode,
    message: string,
    details: UnixTransportErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    if (details.errno !== undefined) this.errno = details.errno;
    if (details.path !== undefined) this.path = details.path;
  }
}

/** Printable form of a socket path: abstract names show their leading NUL as `@`. */
export function printablePath(path: string): string {
  return path.startsWith('\0') ? `@${path.slice(1)}` : path;
}

function errnoOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { errno?: unknown; code?: unknown };
  if (typeof e.errno === 'string') return e.errno;
  if (typeof e.code === 'string' && /^E[A-Z0-9]+$/.test(e.code)) return e.code;
  return undefined;
}

/**
 * Wraps an error thrown by node:fs or by the addon into a UnixTransportError.
 * `what` says what we were doing, for the message.
 */
export function wrapError(err: unknown, what: string, path?: string): UnixTransportError {
  if (err instanceof UnixTransportError) return err;
  const code =
    typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  const errno = errnoOf(err);
  const where = path === undefined ? '' : ` ${printablePath(path)}`;
  if (code === 'NOT_DATAGRAM_SOCKET' || code === 'FD_ALREADY_OWNED') {
    return new UnixTransportError(code, `${what}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (typeof code === 'string' && code.startsWith('ERR_INVALID_ARG')) {
    return new UnixTransportError('INVALID_ARGUMENT', `${what}: ${(err as Error).message}`, {
      cause: err,
      ...(path === undefined ? {} : { path }),
    });
  }
  if (errno === 'ENAMETOOLONG') {
    return new UnixTransportError('PATH_TOO_LONG', `${what}${where}: path too long`, {
      errno,
      cause: err,
      ...(path === undefined ? {} : { path }),
    });
  }
  const reason = errno ?? (err instanceof Error ? err.message : String(err));
  return new UnixTransportError('SYSCALL', `${what}${where} failed: ${reason}`, {
    cause: err,
    ...(errno === undefined ? {} : { errno }),
    ...(path === undefined ? {} : { path }),
  });
}

const errnoNames = new Map<number, string>(
  Object.entries(osConstants.errno).map(([name, n]) => [n, name] as const),
);

/** The name of a (positive) errno value: `ENOENT`, or `errno N` when Node does not know it. */
export function errnoName(n: number): string {
  return errnoNames.get(n) ?? `errno ${n}`;
}
