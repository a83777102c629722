/**
 * SIGHUP (a closed terminal, an init system's "reload") must never stop the
 * server. What it does instead: check the UNIX socket files now, as the
 * periodic socket-file watch would (re-creating a removed one where the
 * server can), and log what it found.
 */
import type { Logger } from './logger.js';
import type { SocketFileState } from './socket-watch.js';

/** What a hangup needs of a running server (in-process or pooled). */
export interface HangupTarget {
  readonly logger: Logger;
  /** Checks the socket files now; resolves to each path's state. */
  recheckSockets(): Promise<ReadonlyMap<string, SocketFileState>>;
}

/** Handles one SIGHUP: re-checks the socket files and logs the outcome. Never rejects. */
export async function onHangup(target: HangupTarget): Promise<void> {
  try {
    const states = await target.recheckSockets();
    target.logger.notice('SIGHUP: socket files checked (SIGHUP never stops the server)', {
      sockets: Object.fromEntries(states),
    });
  } catch (error) {
    target.logger.error('SIGHUP: checking the socket files failed', {
      error: error instanceof Error ? error : String(error),
    });
  }
}
