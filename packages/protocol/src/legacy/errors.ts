/**
 * The one error class of the legacy codec. Callers match on `code`, never on
 * the message text.
 */

/** Every `code` a {@link MiProtocolError} can carry, with what it means. */
export const MI_PROTOCOL_ERROR_CODES = {
  /** A request datagram of length 0. The server sends no reply (PROTOCOL.md 4). */
  EMPTY_DATAGRAM: 'EMPTY_DATAGRAM',
  /** A request over {@link MAX_DATAGRAM_SIZE} bytes (parser), or an encoded request that would be. */
  REQUEST_TOO_LARGE: 'REQUEST_TOO_LARGE',
  /** A malformed first line (PROTOCOL.md 2.1): answered `500 command not available`. */
  NOT_AVAILABLE: 'NOT_AVAILABLE',
  /** The arguments do not parse (PROTOCOL.md 2.2): answered `400 parse_error`. `offset` is set. */
  PARSE_ERROR: 'PARSE_ERROR',
  /** Request encoder: the command name cannot be written on a first line. */
  INVALID_COMMAND: 'INVALID_COMMAND',
  /** Request encoder: an argument the grammar cannot express so that it parses back to itself. */
  UNENCODABLE_ARGUMENT: 'UNENCODABLE_ARGUMENT',
  /** Reply encoder: the reply would exceed the size limit (the server answers `500 reply too large`). */
  REPLY_TOO_LARGE: 'REPLY_TOO_LARGE',
  /** Reply encoder: a tree that cannot be written (bad code, non-string field, newline in reason); reply parser: unreadable reply. */
  INVALID_REPLY: 'INVALID_REPLY',
  /** `parseSocketName`/`formatSocketName`: not a valid `socket_name`. */
  INVALID_SOCKET_NAME: 'INVALID_SOCKET_NAME',
} as const;

export type MiProtocolErrorCode = keyof typeof MI_PROTOCOL_ERROR_CODES;

/** Thrown by every function of the legacy codec for bad input. */
export class MiProtocolError extends Error {
  override readonly name = 'MiProtocolError';
  /** Stable, machine-readable reason. */
  readonly code: MiProtocolErrorCode;
  /** Byte offset in the input where the problem was found, when it has one (always set for `PARSE_ERROR`). */
  readonly offset: number | undefined;

  constructor(code: MiProtocolErrorCode, message: string, offset?: number) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
    this.code = code;
    this.offset = offset;
  }
}

/** True for a {@link MiProtocolError}, also one from another copy of this package. */
export function isMiProtocolError(e: unknown): e is MiProtocolError {
  if (e instanceof MiProtocolError) return true;
  if (typeof e !== 'object' || e === null) return false;
  if (!('name' in e) || !('code' in e)) return false;
  return (
    e.name === 'MiProtocolError' &&
    typeof e.code === 'string' &&
    Object.hasOwn(MI_PROTOCOL_ERROR_CODES, e.code)
  );
}
