import { bindInPrivateDir, bindStrategy, bindWithFchmod, inspectExisting } from './bind-file.js';
import { printablePath, UnixTransportError, wrapError } from './errors.js';
import { loadNative, type NativeSocket } from './native.js';
import { DEFAULTS, resolveMode, resolveOptions, type UnixTransportOptions } from './options.js';
import { resolveOwner } from './owner.js';
import { applyBufferSizes, checkPath, makeTransport, newSocket, warner } from './socket-common.js';
import type { UnixTransport } from './transport.js';

export {
  _resetBindStrategyProbe,
  _setBindStrategy,
  type BindStrategy,
} from './bind-file.js';
export { resolveOwner } from './owner.js';
export { openUnixReplySocket, type UnixReplySocketOptions } from './reply-socket.js';

/** Options of {@link adoptUnixSocket}. */
export interface AdoptUnixSocketOptions extends UnixTransportOptions {
  /**
   * Printable address to report as `address` (e.g. the path the primary
   * bound). Default: what getsockname() says, or `fd:N` for an unnamed socket.
   */
  readonly address?: string;
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

  const strategy = await bindStrategy();
  const bindFile = strategy === 'fchmod' ? bindWithFchmod : bindInPrivateDir;
  return bindFile(path, resolved, mode, uid, gid, stale);
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
