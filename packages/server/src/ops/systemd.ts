/**
 * systemd's readiness protocol (`Type=notify`, sd_notify(3)): `READY=1` once the server answers,
 * `STOPPING=1` when it begins to shut down, each a datagram to the UNIX socket named by
 * `$NOTIFY_SOCKET` (a path, or `@name` for a Linux abstract name), sent with the project's own
 * UNIX transport. Without `$NOTIFY_SOCKET` nothing is sent; a failure is logged, never fatal.
 */
import { Buffer } from 'node:buffer';
import { openUnixReplySocket } from '@mi-datagram/transport-unix';
import type { Logger } from './logger.js';

/** Where `$NOTIFY_SOCKET` points: a socket path (abstract names with their leading NUL). */
export function notifySocketPath(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.startsWith('@')) return `\0${value.slice(1)}`;
  if (value.startsWith('/')) return value;
  return undefined;
}

export interface NotifyOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
}

/**
 * Sends `state` (`READY=1`, `STOPPING=1`, `STATUS=…`, newline-separated) to systemd. Resolves
 * `true` once handed to the kernel; `false` when there is no `$NOTIFY_SOCKET` or sending failed.
 */
export async function notifySystemd(state: string, options: NotifyOptions = {}): Promise<boolean> {
  const env = options.env ?? process.env;
  const raw = env.NOTIFY_SOCKET;
  if (raw === undefined || raw === '') return false;
  const path = notifySocketPath(raw);
  if (path === undefined) {
    options.logger?.warn('NOTIFY_SOCKET is neither a path nor an @abstract name', { raw });
    return false;
  }
  // The sending socket's file goes into the service's RuntimeDirectory when it has one.
  const dir = env.RUNTIME_DIRECTORY?.split(':')[0];
  let transport: Awaited<ReturnType<typeof openUnixReplySocket>> | undefined;
  try {
    transport = await openUnixReplySocket({
      socketTimeout: 1000,
      ...(dir === undefined || dir === '' ? {} : { dir }),
    });
    const outcome = transport.send(Buffer.from(state, 'utf8'), path);
    // A full queue at systemd's end: the transport retries for socketTimeout; stay open that long.
    if (outcome === 'queued') await new Promise((resolve) => setTimeout(resolve, 1000));
    if (outcome === 'dropped') throw new Error('the notification socket refused the datagram');
    return true;
  } catch (error) {
    options.logger?.warn('could not notify systemd', { state, error });
    return false;
  } finally {
    await transport?.close().catch(() => undefined);
  }
}
