import { type BigIntStats, fchmod, constants as fsConstants } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { errnoName, UnixTransportError, wrapError } from './errors.js';
import {
  closeAsync,
  linkAsync as link,
  lstatAsync as lstat,
  mkdtempAsync as mkdtemp,
  openAsync as open,
  renameAsync as rename,
  rmAsync as rm,
  unlinkAsync as unlink,
} from './fs-async.js';
import { loadNative, type NativeSocket } from './native.js';
import type { ResolvedOptions } from './options.js';
import type { OwnedFile } from './owned-file.js';
import {
  errnoOf,
  type Identity,
  MAX_PATH_BYTES,
  makeTransport,
  newSocket,
  ownSocketFile,
} from './socket-common.js';
import type { UnixTransport } from './transport.js';

function kindOf(st: {
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isFIFO(): boolean;
}): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a directory';
  if (st.isFile()) return 'a regular file';
  if (st.isFIFO()) return 'a FIFO';
  return 'not a socket';
}

/**
 * Looks at what sits at `path` before binding (PROTOCOL.md 1: the original
 * unlinks whatever it finds; we do not): nothing → null; a stale socket →
 * its identity, to be replaced; anything else → refused.
 */
export async function inspectExisting(
  path: string,
  options: ResolvedOptions,
): Promise<Identity | null> {
  let st: BigIntStats;
  try {
    st = await lstat(path, { bigint: true });
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return null;
    throw wrapError(err, 'checking', path);
  }
  if (!st.isSocket()) {
    throw new UnixTransportError(
      'PATH_NOT_SOCKET',
      `${path} exists and is ${kindOf(st)}, not a socket: refusing to replace it`,
      { path },
    );
  }
  const probe = newSocket(options);
  let r: number;
  try {
    r = probe.connect(path);
  } finally {
    probe.close();
  }
  if (r === 0 || r === -osConstants.errno.EPROTOTYPE) {
    throw new UnixTransportError(
      'ADDRESS_IN_USE',
      `a server is already listening on ${path}: refusing to take its socket`,
      { path },
    );
  }
  if (r === -osConstants.errno.ECONNREFUSED) return { dev: st.dev, ino: st.ino };
  const name = errnoName(-r);
  throw new UnixTransportError('SYSCALL', `probing the existing socket ${path} failed: ${name}`, {
    path,
    errno: name,
  });
}

/** How a socket file gets its final permissions without a looser window. */
export type BindStrategy = 'fchmod' | 'private-dir';

/** Only a probe that ran to the end is remembered: a transient failure (EMFILE) is not. */
let detectedStrategy: BindStrategy | undefined;
let detecting: Promise<BindStrategy | undefined> | undefined;
let bindStrategyOverride: BindStrategy | undefined;

/** @internal tests force the fallback with this; undefined restores detection. */
export function _setBindStrategy(strategy: BindStrategy | undefined): void {
  bindStrategyOverride = strategy;
}

/** @internal forget the probe's result (tests). */
export function _resetBindStrategyProbe(): void {
  detectedStrategy = undefined;
}

/**
 * Linux gives a socket file the mode of the socket inode (minus umask) at
 * bind(), and fchmod() on an unbound socket sets that inode's mode. So
 * `fchmod(fd, 0)` before bind() creates the file with mode 0: nobody but a
 * privileged process can connect until we chown/chmod it. Checked once per
 * process in a private directory; where it does not hold, we bind in a
 * private directory and move the file into place instead. When the probe
 * itself fails, this bind uses the fallback and the next one probes again.
 */
export async function bindStrategy(): Promise<BindStrategy> {
  if (bindStrategyOverride !== undefined) return bindStrategyOverride;
  if (detectedStrategy !== undefined) return detectedStrategy;
  detecting ??= probeBindStrategy().finally(() => {
    detecting = undefined;
  });
  const found = await detecting;
  if (found !== undefined) detectedStrategy = found;
  return found ?? 'private-dir';
}

async function probeBindStrategy(): Promise<BindStrategy | undefined> {
  let dir: string | undefined;
  let socket: NativeSocket | undefined;
  try {
    socket = new (loadNative().UnixDatagramSocket)();
    dir = await mkdtemp(join(tmpdir(), 'mi-probe-'));
    const probe = join(dir, 's');
    await fchmodFd(socket.fd(), 0);
    socket.bind(probe);
    const st = await lstat(probe);
    return (st.mode & 0o777) === 0 ? 'fchmod' : 'private-dir';
  } catch {
    return undefined;
  } finally {
    socket?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

function fchmodFd(fd: number, mode: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fchmod(fd, mode, (err) => (err ? reject(err) : resolve()));
  });
}

function appeared(path: string, errno: string): UnixTransportError {
  return new UnixTransportError(
    'ADDRESS_IN_USE',
    `${path} appeared while binding: refusing to replace it`,
    { path, errno },
  );
}

export async function bindWithFchmod(
  path: string,
  resolved: ResolvedOptions,
  mode: number,
  uid: number,
  gid: number,
  stale: Identity | null,
): Promise<UnixTransport> {
  const socket = newSocket(resolved);
  let bound = false;
  try {
    await fchmodFd(socket.fd(), 0);
    if (stale !== null) await removeStale(path, stale);
    try {
      socket.bind(path);
      bound = true;
    } catch (err) {
      // bind() never replaces an existing file: EADDRINUSE if one appeared.
      if ((err as { errno?: unknown }).errno === 'EADDRINUSE') throw appeared(path, 'EADDRINUSE');
      throw wrapError(err, 'bind', path);
    }
    // Mode 0 until here; owner first, then the final mode, through a proven handle.
    const mine = ownSocketFile(socket, path, uid, gid, mode, 0);
    return makeTransport(socket, resolved, path, path, { path, dev: mine.dev, ino: mine.ino });
  } catch (err) {
    socket.close();
    // Only what is provably ours is removed (removeStale's identity check).
    if (bound) await unlinkIfSocketOf(path).catch(() => undefined);
    throw wrapError(err, 'binding', path);
  }
}

/** After a failed bind: unlink the path only if it is a socket owned by us (not a swapped-in file). */
async function unlinkIfSocketOf(path: string): Promise<void> {
  const st = await lstat(path);
  if (st.isSocket() && st.uid === process.geteuid?.()) await unlink(path);
}

/** Unlinks the stale socket we probed, only if it is still that very file. */
async function removeStale(path: string, stale: Identity): Promise<void> {
  const now = await lstat(path, { bigint: true }).catch(() => null);
  if (now === null) return;
  if (!now.isSocket() || now.dev !== stale.dev || now.ino !== stale.ino) {
    throw new UnixTransportError(
      'ADDRESS_IN_USE',
      `${path} changed while binding: refusing to replace it`,
      { path },
    );
  }
  await unlink(path).catch((err: unknown) => {
    if (errnoOf(err) !== 'ENOENT') throw wrapError(err, 'removing the stale socket', path);
  });
}

/**
 * Fallback: bind in a private 0700 directory next to the target, chown/chmod
 * there (through a proven handle), then move into place (rename over the
 * stale socket we probed, or link(), which never replaces anything). The
 * kernel keeps the bind-time address, so the sender address of our datagrams
 * is the temporary path.
 */
export async function bindInPrivateDir(
  path: string,
  resolved: ResolvedOptions,
  mode: number,
  uid: number,
  gid: number,
  stale: Identity | null,
): Promise<UnixTransport> {
  let tmp: string;
  try {
    tmp = await mkdtemp(join(dirname(path), '.mi-'));
  } catch (err) {
    throw wrapError(err, 'creating a private directory next to', path);
  }
  const tmpSocket = join(tmp, 's');
  let dirFd: number | undefined;
  let socket: NativeSocket | undefined;
  let linked = false;
  try {
    socket = newSocket(resolved);
    // The kernel keeps the address given to bind(): if the private path
    // would not fit in sun_path, bind through /proc/self/fd/N instead.
    let bindPath = tmpSocket;
    if (Buffer.byteLength(tmpSocket) > MAX_PATH_BYTES) {
      dirFd = await open(tmp, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
      bindPath = `/proc/self/fd/${dirFd}/s`;
    }
    try {
      socket.bind(bindPath);
    } catch (err) {
      throw wrapError(err, 'bind', path);
    }
    const mine = ownSocketFile(socket, tmpSocket, uid, gid, mode, -1);
    if (stale !== null) {
      // Replace the stale socket atomically, only if it is still the one we probed.
      const now = await lstat(path, { bigint: true }).catch(() => null);
      if (now === null || !now.isSocket() || now.dev !== stale.dev || now.ino !== stale.ino) {
        throw new UnixTransportError(
          'ADDRESS_IN_USE',
          `${path} changed while binding: refusing to replace it`,
          { path },
        );
      }
      await rename(tmpSocket, path);
    } else {
      // link() never replaces anything: if a file appeared meanwhile, EEXIST.
      try {
        await link(tmpSocket, path);
        linked = true;
      } catch (err) {
        if (errnoOf(err) === 'EEXIST') throw appeared(path, 'EEXIST');
        throw wrapError(err, 'moving the socket into place at', path);
      }
      await unlink(tmpSocket);
    }
    const owned: OwnedFile = { path, dev: mine.dev, ino: mine.ino };
    await rm(tmp, { recursive: true, force: true });
    return makeTransport(socket, resolved, path, path, owned);
  } catch (err) {
    socket?.close();
    if (linked) await unlink(path).catch(() => undefined);
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw wrapError(err, 'binding', path);
  } finally {
    if (dirFd !== undefined) await closeAsync(dirFd);
  }
}
