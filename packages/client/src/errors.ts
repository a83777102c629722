/** Stable machine-readable codes of {@link MiClientError}; match on these, never on message text. */
export const MI_CLIENT_ERROR_CODES = [
  /** No reply arrived within the call's timeout. The reply socket was closed, never reused. */
  'TIMEOUT',
  /** The call's `AbortSignal` fired before a reply arrived. */
  'ABORTED',
  /**
   * The request could not be delivered or the reply socket failed: no such socket file
   * (`ENOENT`), permission denied (`EACCES`), nothing bound to the path (`ECONNREFUSED`), not a
   * socket (`ENOTSOCK`), name resolution failed, … `errno` holds the system code when known and
   * `cause` the underlying error.
   */
  'TRANSPORT',
  /** A datagram arrived from the target but is not a readable reply (or was truncated). */
  'BAD_REPLY',
  /** The request cannot be encoded (bad command name, unencodable argument, over 65457 bytes). */
  'REQUEST_INVALID',
  /** The client was closed before or while the call was running. */
  'CLOSED',
] as const;

export type MiClientErrorCode = (typeof MI_CLIENT_ERROR_CODES)[number];

export interface MiClientErrorOptions {
  readonly cause?: unknown;
  /** System error code (`ENOENT`, `EACCES`, `ECONNREFUSED`, …) for `TRANSPORT` errors. */
  readonly errno?: string;
  /** The `socket_name` the call was sent to. */
  readonly target?: string;
}

/** The one error class `MiClient` rejects with. A non-2xx reply is NOT an error: it resolves. */
export class MiClientError extends Error {
  override readonly name = 'MiClientError';
  readonly code: MiClientErrorCode;
  /** System error code for `TRANSPORT` errors, when known. */
  readonly errno: string | undefined;
  /** The `socket_name` of the call, when known. */
  readonly target: string | undefined;

  constructor(code: MiClientErrorCode, message: string, options: MiClientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.errno = options.errno;
    this.target = options.target;
  }
}

export function isMiClientError(value: unknown): value is MiClientError {
  return value instanceof MiClientError;
}
