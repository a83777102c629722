import { access, constants, type Stats, stat } from 'node:fs';

/** A system error code and a short human phrase for it. */
export interface Diagnosis {
  readonly errno: string;
  readonly message: string;
}

const PHRASES: Readonly<Record<string, string>> = {
  ENOENT: 'no such socket',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ECONNREFUSED: 'connection refused (nothing is bound to the socket)',
  ENOTSOCK: 'not a socket',
  EPROTOTYPE: 'not a datagram socket',
  ENOTDIR: 'no such socket (a path component is not a directory)',
  ENAMETOOLONG: 'socket path too long',
  EAGAIN: 'the server is not reading (its queue is full)',
  EMSGSIZE: 'request too large for the socket',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
};

/** A short phrase for a system error code (`ENOENT` → `no such socket`). */
export function phraseFor(errno: string, kind: 'unix' | 'udp' = 'unix'): string {
  // Over UDP the kernel says ECONNREFUSED for an ICMP "port unreachable" (a connected socket).
  if (kind === 'udp' && errno === 'ECONNREFUSED') {
    return 'connection refused (nothing is listening on that port)';
  }
  return PHRASES[errno] ?? errno;
}

/**
 * The system error code (`ENOENT`, `EACCES`, …) behind an error: a Node.js system error's `code`,
 * a transport error's `systemCode`/`errno`, or the same found on its `cause` chain.
 */
export function errnoOf(error: unknown): string | undefined {
  for (let depth = 0; depth < 5; depth++) {
    if (typeof error !== 'object' || error === null) return undefined;
    const fields = error as {
      readonly systemCode?: unknown;
      readonly errno?: unknown;
      readonly code?: unknown;
      readonly cause?: unknown;
    };
    for (const value of [fields.systemCode, fields.errno, fields.code]) {
      if (typeof value === 'string' && /^E[A-Z0-9]+$/.test(value)) return value;
    }
    error = fields.cause;
  }
  return undefined;
}

/**
 * Works out why a datagram to a UNIX socket path could not be delivered, from the file system:
 * missing path, not a socket, no write permission; a socket file we may write to that still
 * refused the datagram has nothing bound to it (a stale file left by a dead server).
 */
export async function diagnoseUnixPath(path: string): Promise<Diagnosis> {
  // A Linux abstract name has no file: the kernel refused because nothing is bound to it.
  if (path.startsWith('\0')) return { errno: 'ECONNREFUSED', message: phraseFor('ECONNREFUSED') };
  try {
    // Callback fs (loaded with Node itself), not node:fs/promises: only a failed call gets here,
    // and the CLI should not load more than a call needs.
    const info = await new Promise<Stats>((resolve, reject) =>
      stat(path, (error, stats) => (error === null ? resolve(stats) : reject(error))),
    );
    if (!info.isSocket()) return { errno: 'ENOTSOCK', message: phraseFor('ENOTSOCK') };
    await new Promise<void>((resolve, reject) =>
      access(path, constants.W_OK, (error) => (error === null ? resolve() : reject(error))),
    );
    return { errno: 'ECONNREFUSED', message: phraseFor('ECONNREFUSED') };
  } catch (error) {
    const errno = errnoOf(error) ?? 'EIO';
    return { errno, message: phraseFor(errno) };
  }
}
