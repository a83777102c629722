import {
  closeSync,
  fchmodSync,
  constants as fsConstants,
  fstatSync,
  mkdtempSync,
  openSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnixTransportError, wrapError } from './errors.js';
import { rmAsync } from './fs-async.js';
import type { NativeSocket } from './native.js';
import { DEFAULTS, resolveMode, resolveOptions, type UnixTransportOptions } from './options.js';
import { resolveOwner } from './owner.js';
import { randomHex } from './random.js';
import { checkPath, makeTransport, newSocket, ownSocketFile, warner } from './socket-common.js';
import type { UnixTransport } from './transport.js';

/** Options of {@link openUnixReplySocket}. */
export interface UnixReplySocketOptions extends UnixTransportOptions {
  /** Where the private directory is created. Default: `os.tmpdir()`. */
  readonly dir?: string;
}

/**
 * Opens the private directory we just created without following a symlink,
 * checks it is still ours (a directory, our uid, 0700) and sets its mode
 * through that descriptor: a directory swapped in meanwhile is not touched.
 */
function chmodOwnDir(dir: string, mode: number): void {
  const fd = openSync(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY | fsConstants.O_NOFOLLOW);
  try {
    const st = fstatSync(fd);
    if (!st.isDirectory() || st.uid !== process.geteuid?.() || (st.mode & 0o777) !== 0o700) {
      throw new UnixTransportError('SYSCALL', `${dir} is not the private directory we created`, {
        path: dir,
      });
    }
    fchmodSync(fd, mode);
  } finally {
    closeSync(fd);
  }
}

/**
 * The client side: a socket bound to an unguessable path (24 random hex
 * characters) in a fresh private directory under `dir`, so a server can
 * reply to it. The directory is 0711 (others may pass through it but not list
 * it) and the socket 0600 (or `mode`): only our own user and root can send to
 * it, so nobody else can slip a forged reply in (the name is visible in
 * /proc/net/unix). A server running as another, unprivileged user needs a
 * looser `mode` (or `user`/`group`). Both are removed on close. The few file
 * calls on the new directory are synchronous: a one-shot client then never starts
 * libuv's thread pool nor waits on it (issue 16).
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
    dir = mkdtempSync(join(base, 'mi-'));
  } catch (err) {
    throw wrapError(err, 'creating the reply socket directory in', base);
  }
  const path = join(dir, `${randomHex(12)}.sock`);
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
    const st = ownSocketFile(socket, path, uid, gid, mode, -1);
    chmodOwnDir(dir, DEFAULTS.replyDirMode);
    return makeTransport(socket, resolved, path, path, { path, dev: st.dev, ino: st.ino, dir });
  } catch (err) {
    socket?.close();
    await rmAsync(dir, { recursive: true, force: true }).catch(() => undefined);
    throw wrapError(err, 'opening a reply socket in', base);
  }
}
