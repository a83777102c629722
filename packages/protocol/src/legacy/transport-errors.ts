/**
 * The single-line replies the transport itself produces (PROTOCOL.md 3 and 4),
 * plus two used by access control and two of the in-flight bound. They have NO final empty line, unlike the
 * replies commands return.
 */
export const TRANSPORT_ERROR_LINES = {
  /** Bad first line or unknown command. */
  NOT_AVAILABLE: '500 command not available\n',
  /** The arguments do not parse. */
  PARSE_ERROR: '400 parse_error\n',
  /** Request over 65457 bytes (ours; the original truncated). */
  REQUEST_TOO_LARGE: '400 request too large\n',
  /** The command's handler threw an unexpected error. */
  COMMAND_FAILED: '500 command failed\n',
  /** The reply would exceed 65457 bytes (ours; the original sent nothing). */
  REPLY_TOO_LARGE: '500 reply too large\n',
  /** Anything else that went wrong inside the server. */
  INTERNAL_ERROR: '500 Internal server error\n',
  /** Access control refused the peer or the command (ours). */
  PERMISSION_DENIED: '403 Permission denied\n',
  /** Access control rate limit hit (ours). */
  RATE_LIMITED: '429 rate limit exceeded\n',
  /** Too much work already in flight: the request was not run (ours). */
  SERVER_BUSY: '503 server busy\n',
  /** The handler did not finish within its deadline (ours). */
  COMMAND_TIMED_OUT: '504 command timed out\n',
} as const;

export type TransportErrorKind = keyof typeof TRANSPORT_ERROR_LINES;

function asciiBytes(line: string): Uint8Array {
  const out = new Uint8Array(line.length);
  for (let i = 0; i < line.length; i++) out[i] = line.charCodeAt(i);
  return out;
}

// Private templates, never handed out: callers get copies.
const TEMPLATES: { readonly [K in TransportErrorKind]: Uint8Array } = {
  NOT_AVAILABLE: asciiBytes(TRANSPORT_ERROR_LINES.NOT_AVAILABLE),
  PARSE_ERROR: asciiBytes(TRANSPORT_ERROR_LINES.PARSE_ERROR),
  REQUEST_TOO_LARGE: asciiBytes(TRANSPORT_ERROR_LINES.REQUEST_TOO_LARGE),
  COMMAND_FAILED: asciiBytes(TRANSPORT_ERROR_LINES.COMMAND_FAILED),
  REPLY_TOO_LARGE: asciiBytes(TRANSPORT_ERROR_LINES.REPLY_TOO_LARGE),
  INTERNAL_ERROR: asciiBytes(TRANSPORT_ERROR_LINES.INTERNAL_ERROR),
  PERMISSION_DENIED: asciiBytes(TRANSPORT_ERROR_LINES.PERMISSION_DENIED),
  RATE_LIMITED: asciiBytes(TRANSPORT_ERROR_LINES.RATE_LIMITED),
  SERVER_BUSY: asciiBytes(TRANSPORT_ERROR_LINES.SERVER_BUSY),
  COMMAND_TIMED_OUT: asciiBytes(TRANSPORT_ERROR_LINES.COMMAND_TIMED_OUT),
};

/** The exact bytes of a transport error line; a fresh array on every call. */
export function transportErrorReply(kind: TransportErrorKind): Uint8Array {
  const template = TEMPLATES[kind];
  if (template === undefined) throw new RangeError(`unknown transport error kind: ${String(kind)}`);
  return template.slice();
}
