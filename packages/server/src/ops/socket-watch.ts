/**
 * Watches the UNIX socket files of a running server: a socket file removed
 * (or replaced) from under the server makes the socket unreachable while the
 * server looks healthy, so it is detected with a periodic `lstat` (device and
 * inode compared with the file the server bound) and
 *
 * - re-created when the server can do it (in-process server, `children_count`
 *   1: a fresh socket is bound at the path and served, the orphaned one is
 *   closed), or
 * - reported loudly (error log, repeated while it lasts) when it cannot
 *   (`children_count` > 1: the workers hold descriptors of the original
 *   socket, whose file is gone; only a restart re-binds it).
 *
 * A file that somebody else put at the path is never touched.
 */
import { lstatSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import type { Logger } from './logger.js';

/** Default period of the check. */
export const SOCKET_WATCH_INTERVAL_MS = 1000;
/** While a socket file stays missing and cannot be re-created, the error is repeated this often. */
export const SOCKET_WATCH_REMIND_MS = 60_000;

export interface WatchedSocket {
  /** Filesystem path of the socket (abstract names, starting with NUL, are not watched). */
  readonly path: string;
  /**
   * Binds a fresh socket at `path` and serves it; resolves to the new
   * transport. Absent: the server cannot re-create it, it only reports.
   */
  readonly recreate?: () => Promise<{ close(): Promise<void> }>;
  /** The transport serving the socket now; closed after a successful re-creation. */
  readonly transport?: { close(): Promise<void> };
}

export interface SocketWatchOptions {
  readonly logger: Logger;
  readonly intervalMs?: number;
  readonly remindMs?: number;
  /** True while the server shuts down (its own close removes the files): nothing is reported. */
  readonly isClosing?: () => boolean;
  /** Called once each time a watched socket file is found removed (the server event `E_MI_SOCKET_REMOVED`). */
  readonly onRemoved?: (path: string, recreating: boolean) => void;
}

export type SocketFileState = 'ok' | 'missing' | 'replaced' | 'recreated';

export interface SocketWatch {
  /** State of each watched path. */
  states(): ReadonlyMap<string, SocketFileState>;
  /** Runs one check now (the timer does it every `intervalMs`). */
  check(): Promise<void>;
  /** Stops watching (call before closing the transports). Idempotent. */
  stop(): void;
}

interface Entry {
  readonly path: string;
  readonly recreate: (() => Promise<{ close(): Promise<void> }>) | undefined;
  transport: { close(): Promise<void> } | undefined;
  dev: bigint;
  ino: bigint;
  state: SocketFileState;
  reportedAt: number;
  failedAttempts: number;
}

/** Once, when the watch starts (right after binding). */
function identitySync(path: string): { dev: bigint; ino: bigint } | null {
  try {
    const st = lstatSync(path, { bigint: true });
    return { dev: st.dev, ino: st.ino };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** The periodic check is asynchronous: it never blocks the event loop on a slow or hung filesystem. */
async function identity(path: string): Promise<{ dev: bigint; ino: bigint } | null> {
  try {
    const st = await lstat(path, { bigint: true });
    return { dev: st.dev, ino: st.ino };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Starts watching the socket files (the files must exist: call it right after binding). */
export function watchSocketFiles(
  sockets: readonly WatchedSocket[],
  options: SocketWatchOptions,
): SocketWatch {
  const { logger } = options;
  const intervalMs = options.intervalMs ?? SOCKET_WATCH_INTERVAL_MS;
  const remindMs = options.remindMs ?? SOCKET_WATCH_REMIND_MS;
  const entries: Entry[] = [];
  for (const s of sockets) {
    if (s.path.startsWith('\0')) continue;
    const id = identitySync(s.path);
    if (id === null) continue; // nothing to compare with
    entries.push({
      path: s.path,
      recreate: s.recreate,
      transport: s.transport,
      ...id,
      state: 'ok',
      reportedAt: 0,
      failedAttempts: 0,
    });
  }
  let stopped = false;
  let running: Promise<void> | null = null;
  const closing = () => stopped || options.isClosing?.() === true;

  const checkOne = async (e: Entry): Promise<void> => {
    let id: { dev: bigint; ino: bigint } | null;
    try {
      id = await identity(e.path);
    } catch {
      return; // e.g. EACCES on a directory: cannot tell, try again later
    }
    if (id !== null && id.dev === e.dev && id.ino === e.ino) {
      if (e.state !== 'ok' && e.state !== 'recreated') {
        logger.notice('socket file is back', { socket: e.path });
        e.state = 'ok';
      }
      return;
    }
    if (closing()) return;
    const now = Date.now();
    if (id !== null) {
      // Somebody else's file (or socket) now sits at the path: never touched.
      if (e.state !== 'replaced' || now - e.reportedAt >= remindMs) {
        logger.error(
          'socket file replaced by another file while the server is running: requests sent to this path no longer reach the server; the file is left alone, restart the server to serve this path again',
          { socket: e.path },
        );
        e.reportedAt = now;
      }
      e.state = 'replaced';
      return;
    }
    if (e.state !== 'missing') options.onRemoved?.(e.path, e.recreate !== undefined);
    if (e.recreate === undefined) {
      if (e.state !== 'missing' || now - e.reportedAt >= remindMs) {
        logger.error(
          'socket file removed while the server is running: clients can no longer reach this socket; it cannot be re-created with children_count > 1 (the workers hold the original socket), restart the server',
          { socket: e.path },
        );
        e.reportedAt = now;
      }
      e.state = 'missing';
      return;
    }
    if (e.state !== 'missing') {
      logger.error('socket file removed while the server is running: re-creating it', {
        socket: e.path,
      });
      e.reportedAt = now;
    }
    e.state = 'missing';
    try {
      const fresh = await e.recreate();
      const created = await identity(e.path);
      if (created === null) throw new Error('the new socket file vanished at once');
      const old = e.transport;
      e.transport = fresh;
      e.dev = created.dev;
      e.ino = created.ino;
      e.state = 'recreated';
      e.failedAttempts = 0;
      logger.notice('socket file re-created; the server is reachable at this path again', {
        socket: e.path,
      });
      // The orphaned socket can no longer be reached by path: release it.
      if (old !== undefined) {
        await old.close().catch((error: unknown) => {
          logger.warn('closing the orphaned socket failed', {
            socket: e.path,
            error: String(error),
          });
        });
      }
    } catch (error) {
      e.failedAttempts++;
      if (e.failedAttempts === 1 || now - e.reportedAt >= remindMs) {
        logger.error('socket file removed and could not be re-created: clients cannot reach it', {
          socket: e.path,
          error: error instanceof Error ? error : String(error),
        });
        e.reportedAt = now;
      }
    }
  };

  const check = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (running !== null) return running;
    running = (async () => {
      for (const e of entries) await checkOne(e);
    })().finally(() => {
      running = null;
    });
    return running;
  };

  const timer = entries.length > 0 ? setInterval(() => void check(), intervalMs) : null;
  timer?.unref();
  return {
    states: () => new Map(entries.map((e) => [e.path, e.state])),
    check,
    stop() {
      stopped = true;
      if (timer !== null) clearInterval(timer);
    },
  };
}
