import { randomBytes } from 'node:crypto';
import { type BigIntStats, fchmod, constants as fsConstants } from 'node:fs';
import { chmod, chown, link, lstat, mkdtemp, open, rename, rm, unlink } from 'node:fs/promises';
import { constants as osConstants, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { debuglog } from 'node:util';
import { errnoName, printablePath, UnixTransportError, wrapError } from './errors.js';
import { loadNative, type NativeSocket } from './native.js';
import {
  DEFAULTS,
  type ResolvedOptions,
  resolveMode,
  resolveOptions,
  type UnixTransportOptions,
} from './options.js';
import { type OwnedFile, removeOwnedFile, UnixTransport } from './transport.js';

const debug = debuglog('mi-datagram');

/** `sun_path` is 108 bytes on Linux: a file path needs its NUL terminator in it. */
const MAX_PATH_BYTES = 107;
/** An abstract name is exact-length: the leading NUL plus up to 107 bytes. */
const MAX_ABSTRACT_BYTES = 108;

/** Options of {@link adoptUnixSocket}. */
export interface AdoptUnixSocketOptions extends UnixTransportOptions {
  /**
   * Printable address to report as `address` (e.g. the path the primary
   * bound). Default: what getsockname() says, or `fd:N` for an unnamed socket.
   */
  readonly address?: string;
}

/** Options of {@link openUnixReplySocket}. */
export interface UnixReplySocketOptions extends UnixTransportOptions {
  /** Where the private directory is created. Default: `os.tmpdir()`. */
  readonly dir?: string;
}

function warner(options: ResolvedOptions): (message: string) => void {
  return options.onWarning ?? ((m) => debug('%s', m));
}

function checkPath(path: unknown, what: string): string {
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

function newSocket(options: ResolvedOptions): NativeSocket {
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

function applyBufferSizes(socket: NativeSocket, options: ResolvedOptions): void {
  if (options.receiveBufferSize > 0 || options.sendBufferSize > 0) {
    try {
      socket.setBufferSizes(options.receiveBufferSize, options.sendBufferSize);
    } catch (err) {
      throw wrapError(err, 'setting socket buffer sizes');
    }
  }
}

function uidOrGid(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** 32 - 1) {
    throw new UnixTransportError(
      'INVALID_ARGUMENT',
      `${what} id must be an integer from 0 to 4294967294`,
    );
  }
  return value;
}

/**
 * `unix_socket_user` / `unix_socket_group` as the original resolves them: a
 * numeric string is an id; a user name also brings its primary group unless
 * a group is given. -1 leaves the owner/group unchanged.
 */
export function resolveOwner(options: UnixTransportOptions): { uid: number; gid: number } {
  let uid = -1;
  let gid = -1;
  const { user, group } = options;
  if (user !== undefined) {
    if (typeof user === 'number') uid = uidOrGid(user, 'user');
    else if (typeof user === 'string' && /^\d+$/.test(user)) uid = uidOrGid(Number(user), 'user');
    else if (typeof user === 'string' && user.length > 0) {
      const found = lookup(() => loadNative().lookupUser(user), 'user');
      if (found === null) throw new UnixTransportError('UNKNOWN_USER', `unknown user "${user}"`);
      [uid, gid] = found;
    } else {
      throw new UnixTransportError(
        'INVALID_ARGUMENT',
        'option user must be a name or a numeric id',
      );
    }
  }
  if (group !== undefined) {
    if (typeof group === 'number') gid = uidOrGid(group, 'group');
    else if (typeof group === 'string' && /^\d+$/.test(group))
      gid = uidOrGid(Number(group), 'group');
    else if (typeof group === 'string' && group.length > 0) {
      const found = lookup(() => loadNative().lookupGroup(group), 'group');
      if (found === null) throw new UnixTransportError('UNKNOWN_GROUP', `unknown group "${group}"`);
      gid = found;
    } else {
      throw new UnixTransportError(
        'INVALID_ARGUMENT',
        'option group must be a name or a numeric id',
      );
    }
  }
  return { uid, gid };
}

function lookup<T>(fn: () => T, what: string): T {
  try {
    return fn();
  } catch (err) {
    throw wrapError(err, `looking up the ${what}`);
  }
}

function errnoOf(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

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
async function inspectExisting(
  path: string,
  options: ResolvedOptions,
): Promise<{ dev: bigint; ino: bigint } | null> {
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

/**
 * Binds a UNIX datagram socket to `path` (a file path) or to a Linux abstract
 * name (a string starting with `'\0'`, used at its exact length; no file).
 *
 * For a file path: anything that is not a socket is refused and left
 * untouched; an existing socket is probed (live server → `ADDRESS_IN_USE`,
 * stale → replaced); the file is created with mode 0 (fchmod on the socket
 * before bind) and only then given `user`/`group` and `mode`, so it is never
 * reachable with looser permissions (where the kernel does not honour that,
 * it is bound in a private 0700 directory next to the target and moved into
 * place); a too-long path is refused; close() removes the file only if it is
 * still the one we created.
 */
export async function bindUnixSocket(
  path: string,
  options?: UnixTransportOptions,
): Promise<UnixTransport> {
  const resolved = resolveOptions(options);
  checkPath(path, 'bindUnixSocket()');
  const o = options ?? {};
  const warn = warner(resolved);
  if (path.startsWith('\0')) {
    if (o.mode !== undefined || o.user !== undefined || o.group !== undefined) {
      warn(`mode, user and group do not apply to the abstract name ${printablePath(path)}`);
    }
    const socket = newSocket(resolved);
    try {
      socket.bind(path);
    } catch (err) {
      socket.close();
      if ((err as { errno?: unknown }).errno === 'EADDRINUSE') {
        throw new UnixTransportError(
          'ADDRESS_IN_USE',
          `the abstract name ${printablePath(path)} is already bound`,
          { path, errno: 'EADDRINUSE' },
        );
      }
      throw wrapError(err, 'bind', path);
    }
    return makeTransport(socket, resolved, printablePath(path), path, null);
  }

  const mode = resolveMode(o, DEFAULTS.mode, warn);
  const { uid, gid } = resolveOwner(o);
  const stale = await inspectExisting(path, resolved);
  if (stale !== null) await afterStaleProbe?.(path);

  const strategy = bindStrategyOverride ?? (await detectBindStrategy());
  const bindFile = strategy === 'fchmod' ? bindWithFchmod : bindInPrivateDir;
  return bindFile(path, resolved, mode, uid, gid, stale);
}

/** How a socket file gets its final permissions without a looser window. */
export type BindStrategy = 'fchmod' | 'private-dir';

let detectedStrategy: Promise<BindStrategy> | undefined;
let bindStrategyOverride: BindStrategy | undefined;

/** @internal tests force the fallback with this; undefined restores detection. */
export function _setBindStrategy(strategy: BindStrategy | undefined): void {
  bindStrategyOverride = strategy;
}

// --- test seam (issue 21): not exported from the package ---
let afterStaleProbe: ((path: string) => void | Promise<void>) | undefined;

/**
 * @internal Runs `hook` between the probe of a stale socket and the re-check
 * before it is replaced, so tests can swap the file in that window;
 * undefined removes it.
 */
export function _setAfterStaleProbe(
  hook: ((path: string) => void | Promise<void>) | undefined,
): void {
  afterStaleProbe = hook;
}
// --- end of test seam ---

/**
 * Linux gives a socket file the mode of the socket inode (minus umask) at
 * bind(), and fchmod() on an unbound socket sets that inode's mode. So
 * `fchmod(fd, 0)` before bind() creates the file with mode 0: nobody but a
 * privileged process can connect until we chown/chmod it. Checked once per
 * process in a private directory; where it does not hold, we bind in a
 * private directory and move the file into place instead.
 */
function detectBindStrategy(): Promise<BindStrategy> {
  detectedStrategy ??= (async (): Promise<BindStrategy> => {
    let dir: string | undefined;
    const { UnixDatagramSocket } = loadNative();
    const socket = new UnixDatagramSocket();
    try {
      dir = await mkdtemp(join(tmpdir(), 'mi-probe-'));
      const probe = join(dir, 's');
      await fchmodFd(socket.fd(), 0);
      socket.bind(probe);
      const st = await lstat(probe);
      return (st.mode & 0o777) === 0 ? 'fchmod' : 'private-dir';
    } catch {
      return 'private-dir';
    } finally {
      socket.close();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  })();
  return detectedStrategy;
}

function fchmodFd(fd: number, mode: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fchmod(fd, mode, (err) => (err ? reject(err) : resolve()));
  });
}

type Identity = { readonly dev: bigint; readonly ino: bigint };

async function bindWithFchmod(
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
      if ((err as { errno?: unknown }).errno === 'EADDRINUSE') {
        throw new UnixTransportError(
          'ADDRESS_IN_USE',
          `${path} appeared while binding: refusing to replace it`,
          { path, errno: 'EADDRINUSE' },
        );
      }
      throw wrapError(err, 'bind', path);
    }
    const mine = await lstat(path, { bigint: true });
    if (!mine.isSocket() || (mine.mode & 0o777n) !== 0n) {
      throw new UnixTransportError('SYSCALL', `${path}: unexpected file after bind`, { path });
    }
    // Mode 0 until here; owner first, then the final mode.
    if (uid !== -1 || gid !== -1) {
      try {
        await chown(path, uid, gid);
      } catch (err) {
        throw wrapError(err, 'changing the owner of', path);
      }
    }
    await chmod(path, mode);
    return makeTransport(socket, resolved, path, path, { path, dev: mine.dev, ino: mine.ino });
  } catch (err) {
    socket.close();
    if (bound) await unlink(path).catch(() => undefined);
    throw wrapError(err, 'binding', path);
  }
}

/** Unlinks the stale socket we probed, only if it is still that very file. */
async function removeStale(path: string, stale: Identity): Promise<void> {
  const now = await lstat(path, { bigint: true }).catch(() => null);
  if (now === null) return;
  if (!now.isSocket() || now.dev !== stale.dev || now.ino !== stale.ino) {
    throw new UnixTransportError(
      'ADDRESS_IN_USE',
      `${path} changed while binding: refusing to replace it`,
      {
        path,
      },
    );
  }
  await unlink(path).catch((err: unknown) => {
    if (errnoOf(err) !== 'ENOENT') throw wrapError(err, 'removing the stale socket', path);
  });
}

/**
 * Fallback: bind in a private 0700 directory next to the target, chmod/chown
 * there, then move into place (rename over the stale socket we probed, or
 * link(), which never replaces anything). The kernel keeps the bind-time
 * address, so the sender address of our datagrams is the temporary path.
 */
async function bindInPrivateDir(
  path: string,
  resolved: ResolvedOptions,
  mode: number,
  uid: number,
  gid: number,
  stale: Identity | null,
): Promise<UnixTransport> {
  const dir = dirname(path);
  let tmp: string;
  try {
    tmp = await mkdtemp(join(dir, '.mi-'));
  } catch (err) {
    throw wrapError(err, 'creating a private directory next to', path);
  }
  const tmpSocket = join(tmp, 's');
  let dirHandle: Awaited<ReturnType<typeof open>> | undefined;
  const socket = newSocket(resolved);
  let linked = false;
  try {
    // The kernel keeps the address given to bind(): if the private path
    // would not fit in sun_path, bind through /proc/self/fd/N instead.
    let bindPath = tmpSocket;
    if (Buffer.byteLength(tmpSocket) > MAX_PATH_BYTES) {
      dirHandle = await open(tmp, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
      bindPath = `/proc/self/fd/${dirHandle.fd}/s`;
    }
    try {
      socket.bind(bindPath);
    } catch (err) {
      throw wrapError(err, 'bind', path);
    }
    await chmod(tmpSocket, mode);
    if (uid !== -1 || gid !== -1) {
      try {
        await chown(tmpSocket, uid, gid);
      } catch (err) {
        throw wrapError(err, 'changing the owner of', path);
      }
    }
    const mine = await lstat(tmpSocket, { bigint: true });
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
        if (errnoOf(err) === 'EEXIST') {
          throw new UnixTransportError(
            'ADDRESS_IN_USE',
            `${path} appeared while binding: refusing to replace it`,
            { path, errno: 'EEXIST' },
          );
        }
        throw wrapError(err, 'moving the socket into place at', path);
      }
      await unlink(tmpSocket);
    }
    const owned: OwnedFile = { path, dev: mine.dev, ino: mine.ino };
    await rm(tmp, { recursive: true, force: true });
    return makeTransport(socket, resolved, path, path, owned);
  } catch (err) {
    socket.close();
    if (linked) await unlink(path).catch(() => undefined);
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw wrapError(err, 'binding', path);
  } finally {
    await dirHandle?.close();
  }
}

/**
 * Adopts an inherited descriptor (a worker of a pool): it must be an AF_UNIX
 * SOCK_DGRAM socket; it is made nonblocking and close-on-exec, and closed by
 * close(). The transport owns no socket file and never unlinks anything.
 */
export function adoptUnixSocket(fd: number, options?: AdoptUnixSocketOptions): UnixTransport {
  const resolved = resolveOptions(options);
  if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0 || fd > 2 ** 31 - 1) {
    throw new UnixTransportError(
      'INVALID_ARGUMENT',
      'adoptUnixSocket(fd): fd must be a non-negative integer',
    );
  }
  const address = options?.address;
  if (address !== undefined && typeof address !== 'string') {
    throw new UnixTransportError('INVALID_ARGUMENT', 'option address must be a string');
  }
  const { UnixDatagramSocket } = loadNative();
  let socket: NativeSocket;
  try {
    socket = new UnixDatagramSocket(fd);
  } catch (err) {
    throw wrapError(err, `adopting descriptor ${fd}`);
  }
  try {
    applyBufferSizes(socket, resolved);
    let printable = address;
    if (printable === undefined) {
      const local = socket.localAddress();
      printable = local === null ? `fd:${fd}` : printablePath(local);
    }
    return makeTransport(socket, resolved, printable, null, null);
  } catch (err) {
    socket.close();
    throw err;
  }
}

/**
 * The client side: a socket bound to an unguessable path (24 random hex
 * characters) in a fresh private directory under `dir`, so a server can
 * reply to it. The directory is 0711 (others may pass through it but not list
 * it) and the socket 0666 (or `mode`), so a server running as another user
 * can reply. Both are removed on close.
 */
export async function openUnixReplySocket(
  options?: UnixReplySocketOptions,
): Promise<UnixTransport> {
  const resolved = resolveOptions(options);
  const o = options ?? {};
  const warn = warner(resolved);
  const base = o.dir ?? tmpdir();
  if (typeof base !== 'string' || base.length === 0) {
    throw new UnixTransportError('INVALID_ARGUMENT', 'option dir must be a non-empty string');
  }
  const mode = resolveMode(o, DEFAULTS.replyMode, warn);
  const { uid, gid } = resolveOwner(o);
  let dir: string;
  try {
    dir = await mkdtemp(join(base, 'mi-'));
  } catch (err) {
    throw wrapError(err, 'creating the reply socket directory in', base);
  }
  const path = join(dir, `${randomBytes(12).toString('hex')}.sock`);
  let socket: NativeSocket | undefined;
  try {
    checkPath(path, 'openUnixReplySocket()');
    socket = newSocket(resolved);
    try {
      socket.bind(path);
    } catch (err) {
      throw wrapError(err, 'bind', path);
    }
    // Still inside the 0700 directory: nobody else can reach the socket yet.
    await chmod(path, mode);
    if (uid !== -1 || gid !== -1) await chown(path, uid, gid);
    const st = await lstat(path, { bigint: true });
    await chmod(dir, DEFAULTS.replyDirMode);
    return makeTransport(socket, resolved, path, path, { path, dev: st.dev, ino: st.ino, dir });
  } catch (err) {
    socket?.close();
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    throw wrapError(err, 'opening a reply socket in', base);
  }
}

function makeTransport(
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
