import { debuglog } from 'node:util';
import { printablePath, UnixTransportError, wrapError } from './errors.js';
import { loadNative, type NativeSocket } from './native.js';
import type { ResolvedOptions } from './options.js';
import { type OwnedFile, removeOwnedFile } from './owned-file.js';
import { UnixTransport } from './transport.js';

const debug = debuglog('mi-datagram');

/** `sun_path` is 108 bytes on Linux: a file path we bind keeps its NUL terminator in it. */
export const MAX_PATH_BYTES = 107;
/** An abstract name is exact-length: the leading NUL plus up to 107 bytes. */
const MAX_ABSTRACT_BYTES = 108;

export type Identity = { readonly dev: bigint; readonly ino: bigint };

export function warner(options: ResolvedOptions): (message: string) => void {
  return options.onWarning ?? ((m) => debug('%s', m));
}

export function errnoOf(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function checkPath(path: unknown, what: string): string {
  if (typeof path !== 'string' || path.length === 0) {
    throw new UnixTransportError('INVALID_ARGUMENT', `${what}: path must be a non-empty string`);
  }
  const abstract = path.startsWith('\0');
  if (!abstract && path.includes('\0')) {
    throw new UnixTransportError('INVALID_ARGUMENT', `${what}: path contains a NUL byte`, { path });
  }
  const bytes = Buffer.byteLength(path);
  const max = abstract ? MAX_ABSTRACT_BYTES : MAX_PATH_BYTES;
  if (bytes > max) {
    throw new UnixTransportError(
      'PATH_TOO_LONG',
      `${what}: ${printablePath(path).slice(0, 40)}… is ${bytes} bytes, more than the ${max} a UNIX socket address holds`,
      { path },
    );
  }
  return path;
}

export function newSocket(options: ResolvedOptions): NativeSocket {
  const { UnixDatagramSocket } = loadNative();
  let socket: NativeSocket;
  try {
    socket = new UnixDatagramSocket();
  } catch (err) {
    throw wrapError(err, 'socket()');
  }
  try {
    applyBufferSizes(socket, options);
  } catch (err) {
    socket.close();
    throw err;
  }
  return socket;
}

export function applyBufferSizes(socket: NativeSocket, options: ResolvedOptions): void {
  if (options.receiveBufferSize > 0 || options.sendBufferSize > 0) {
    try {
      socket.setBufferSizes(options.receiveBufferSize, options.sendBufferSize);
    } catch (err) {
      throw wrapError(err, 'setting socket buffer sizes');
    }
  }
}

/**
 * Gives the socket file just bound at `path` its owner and mode through a
 * handle proven to be that file (see ownFile in native/unix_dgram.c): a
 * symlink or another file swapped in at the path is refused, never followed.
 */
export function ownSocketFile(
  socket: NativeSocket,
  path: string,
  uid: number,
  gid: number,
  mode: number,
  expectedMode: number,
): Identity {
  try {
    const [dev, ino] = socket.ownFile(path, uid, gid, mode, expectedMode);
    return { dev, ino };
  } catch (err) {
    if ((err as { code?: unknown }).code === 'NOT_OUR_SOCKET') {
      throw new UnixTransportError('ADDRESS_IN_USE', `${path}: ${(err as Error).message}`, {
        path,
        cause: err,
      });
    }
    throw wrapError(err, 'setting owner and mode of', path);
  }
}

export function makeTransport(
  socket: NativeSocket,
  options: ResolvedOptions,
  address: string,
  path: string | null,
  owned: OwnedFile | null,
): UnixTransport {
  try {
    return new UnixTransport({ socket, options, address, path, owned });
  } catch (err) {
    socket.close();
    if (owned !== null) void removeOwnedFile(owned, () => undefined);
    throw wrapError(err, 'starting to receive on', path ?? address);
  }
}
