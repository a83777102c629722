/**
 * Stable, machine-readable codes of {@link UdpTransportError}. Match on
 * `error.code`, never on the message text.
 */
export const UdpTransportErrorCode = {
  /** bind: the address and port are already bound by another socket (EADDRINUSE). */
  ADDRESS_IN_USE: 'ADDRESS_IN_USE',
  /** bind: the address is not a local address of this host (EADDRNOTAVAIL), or its family is unsupported. */
  ADDRESS_NOT_AVAILABLE: 'ADDRESS_NOT_AVAILABLE',
  /** bind: not allowed to bind this port (EACCES/EPERM, e.g. a port below 1024 without privileges). */
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  /** bind/open: the host name did not resolve. */
  HOST_NOT_FOUND: 'HOST_NOT_FOUND',
  /** bind failed for another reason (see `systemCode` and `cause`). */
  BIND_FAILED: 'BIND_FAILED',
  /** A caller passed a bad argument (host, port, peer, options, socket). Thrown, never reported. */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** send: the datagram is larger than 65457 bytes; it was not sent (reported through `onError`). */
  DATAGRAM_TOO_LARGE: 'DATAGRAM_TOO_LARGE',
  /** adopt: the socket was already closed by a transport. */
  CLOSED: 'CLOSED',
  /** send: the kernel refused a datagram (the send callback reported an error); it was dropped. */
  SEND_FAILED: 'SEND_FAILED',
  /** The socket emitted an error outside of a send (reported through `onError`). */
  SOCKET_ERROR: 'SOCKET_ERROR',
  /** The `onMessage` handler threw (reported through `onError` when one is given). */
  HANDLER_FAILED: 'HANDLER_FAILED',
  /** Warning: a reply was dropped because `maxPendingReplies`/`maxPendingBytes` was reached. */
  PENDING_LIMIT: 'PENDING_LIMIT',
  /** Warning: replies still not completed after `socketTimeout` ms were given up (counted dropped). */
  SEND_TIMEOUT: 'SEND_TIMEOUT',
  /** Warning: the kernel granted a smaller socket buffer than requested (see `net.core.rmem_max`). */
  BUFFER_SIZE: 'BUFFER_SIZE',
  /** Warning: receiving could not be switched off for a transport without `onMessage`. */
  RECEIVE_NOT_STOPPED: 'RECEIVE_NOT_STOPPED',
} as const;

export type UdpTransportErrorCode =
  (typeof UdpTransportErrorCode)[keyof typeof UdpTransportErrorCode];

export interface UdpTransportErrorDetails {
  /** The operating-system error code behind this error (`EADDRINUSE`, `ENOTFOUND`, …). */
  readonly systemCode?: string;
  /** The address concerned (`udp:host:port` form, or a bare host), when there is one. */
  readonly address?: string;
  /** The underlying error. */
  readonly cause?: unknown;
}

/** Every error (and warning) produced by this package. */
export class UdpTransportError extends Error {
  override readonly name = 'UdpTransportError';
  readonly code: UdpTransportErrorCode;
  readonly systemCode: string | undefined;
  readonly address: string | undefined;

  constructor(
    code: UdpTransportErrorCode,
    message: string,
    details: UdpTransportErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.systemCode = details.systemCode;
    this.address = details.address;
  }
}

/** The `code` of a Node.js system error (`EADDRINUSE`, …), if it has one. */
export function systemCodeOf(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** `{ systemCode }` of a system error, to spread into {@link UdpTransportErrorDetails}. */
export function systemCodeDetail(error: Error): { systemCode?: string } {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? { systemCode: code } : {};
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Maps a failed `bind` to a typed error. */
export function bindError(error: unknown, address: string): UdpTransportError {
  const systemCode = systemCodeOf(error);
  const details =
    systemCode === undefined ? { address, cause: error } : { address, systemCode, cause: error };
  switch (systemCode) {
    case 'EADDRINUSE':
      return new UdpTransportError(
        'ADDRESS_IN_USE',
        `cannot bind ${address}: address already in use`,
        details,
      );
    case 'EACCES':
    case 'EPERM':
      return new UdpTransportError(
        'PERMISSION_DENIED',
        `cannot bind ${address}: permission denied`,
        details,
      );
    case 'EADDRNOTAVAIL':
    case 'EAFNOSUPPORT':
      return new UdpTransportError(
        'ADDRESS_NOT_AVAILABLE',
        `cannot bind ${address}: address not available on this host`,
        details,
      );
    default:
      return new UdpTransportError(
        'BIND_FAILED',
        `cannot bind ${address}: ${messageOf(error)}`,
        details,
      );
  }
}

/** Maps a failed host name lookup to a typed error. */
export function lookupError(error: unknown, host: string): UdpTransportError {
  const systemCode = systemCodeOf(error);
  const details =
    systemCode === undefined
      ? { address: host, cause: error }
      : { address: host, systemCode, cause: error };
  return new UdpTransportError(
    'HOST_NOT_FOUND',
    `cannot resolve host ${JSON.stringify(host)}: ${messageOf(error)}`,
    details,
  );
}

export function invalidArgument(message: string): UdpTransportError {
  return new UdpTransportError('INVALID_ARGUMENT', message);
}
