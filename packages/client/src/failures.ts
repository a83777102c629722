/** The {@link MiClientError}s a call ends with when no reply comes. */
import { parseSocketName, type SocketName } from '@mi-datagram/protocol';
import type { Channel } from './channel.js';
import { diagnoseUnixPath, errnoOf, phraseFor } from './diagnose.js';
import { MiClientError } from './errors.js';

export function invalidRequest(target: string, error: unknown): MiClientError {
  const detail = error instanceof Error ? error.message : String(error);
  return new MiClientError('REQUEST_INVALID', `invalid request: ${detail}`, {
    cause: error,
    target,
  });
}

export function transportError(
  target: string,
  kind: SocketName['kind'],
  errno: string | undefined,
  cause: unknown,
): MiClientError {
  const what = errno === undefined ? 'transport failure' : phraseFor(errno, kind);
  const detail = errno === undefined && cause instanceof Error ? `: ${cause.message}` : '';
  return new MiClientError('TRANSPORT', `${what}: ${target}${detail}`, {
    target,
    cause,
    ...(errno === undefined ? {} : { errno }),
  });
}

/** The TRANSPORT error for a failed send or socket, with the clearest errno we can find. */
export async function diagnoseFailure(
  target: string,
  parsed: SocketName,
  channel: Channel,
): Promise<MiClientError> {
  // Give the transport one turn to report the system error of the failed send.
  await new Promise<void>((resolve) => setImmediate(resolve));
  const cause = channel.lastError ?? new Error('request not sent');
  const reported = errnoOf(channel.lastError);
  if (parsed.kind === 'unix' && (reported === undefined || reported === 'ECONNREFUSED')) {
    // The kernel says ECONNREFUSED for a stale socket file and for a path that is not a
    // socket at all; the file system tells them apart (and finds ENOENT/EACCES if unreported).
    const found = await diagnoseUnixPath(parsed.path);
    return transportError(target, parsed.kind, found.errno, cause);
  }
  return transportError(target, parsed.kind, reported, cause);
}

export function abortedError(target: string, signal: AbortSignal | undefined): MiClientError {
  return new MiClientError('ABORTED', 'call aborted', {
    target,
    ...(signal?.reason === undefined ? {} : { cause: signal.reason }),
  });
}

export function timeoutError(target: string, timeout: number): MiClientError {
  return new MiClientError('TIMEOUT', `no reply from ${target} within ${timeout} ms`, { target });
}

export function checkTimeout(value: number, what: string): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${what} must be a positive number of milliseconds`);
  }
}

/** A client's `socket_name`, parsed; `REQUEST_INVALID` when it is not one (or names UDP port 0). */
export function parseTarget(target: string): SocketName {
  let parsed: SocketName;
  try {
    parsed = parseSocketName(target);
  } catch (error) {
    throw new MiClientError('REQUEST_INVALID', `invalid socket_name: ${JSON.stringify(target)}`, {
      cause: error,
      target,
    });
  }
  if (parsed.kind === 'udp' && parsed.port === 0) {
    throw new MiClientError('REQUEST_INVALID', `invalid socket_name: ${target} (port 0)`, {
      target,
    });
  }
  return parsed;
}
