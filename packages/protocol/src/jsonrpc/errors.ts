/**
 * Error values and the one error class of the JSON side.
 */

/**
 * The JSON-RPC 2.0 error codes we send (PROTOCOL.md 5), with their messages.
 * A command's own failure is not here: it is sent with its MI code and
 * reason (`{ code: 400, message: 'Bad parameter' }`), see `replyToJsonRpc`.
 */
export const JSONRPC_ERRORS = {
  /** Invalid JSON, invalid UTF-8, nesting too deep, a duplicate key, a number out of range. `id` is always `null`. */
  PARSE_ERROR: { code: -32700, message: 'Parse error' },
  /** Valid JSON that is not a valid request object, an empty batch, a batch over the size limit. */
  INVALID_REQUEST: { code: -32600, message: 'Invalid Request' },
  /** The method is not a registered command. */
  METHOD_NOT_FOUND: { code: -32601, message: 'Method not found' },
  /** The params do not fit the command (details in `data` or a more precise `message`). */
  INVALID_PARAMS: { code: -32602, message: 'Invalid params' },
  /** Anything that went wrong inside the server. */
  INTERNAL_ERROR: { code: -32603, message: 'Internal error' },
  /** The handler finished without producing a result (OpenSIPS 3 uses -32000 for this). */
  NO_RESULT: { code: -32000, message: 'Server error' },
  /** The request datagram was over the size limit (or truncated); it was not parsed. Ours. */
  REQUEST_TOO_LARGE: { code: -32600, message: 'Request too large' },
  /** The encoded response did not fit in one datagram; it replaces the response. Ours. */
  RESPONSE_TOO_LARGE: { code: -32603, message: 'Response too large' },
} as const;

export type JsonRpcErrorKind = keyof typeof JSONRPC_ERRORS;

/** Every `code` a {@link JsonCodecError} can carry, with what it means. */
export const JSON_CODEC_ERROR_CODES = {
  /** The input ended inside a value (or was empty). */
  UNEXPECTED_END: 'UNEXPECTED_END',
  /** A byte that JSON does not allow here (including a BOM, a raw control character in a string, trailing data). */
  UNEXPECTED_BYTE: 'UNEXPECTED_BYTE',
  /** A string holds bytes that are not UTF-8 (or, for string input, a lone surrogate). */
  INVALID_UTF8: 'INVALID_UTF8',
  /** A backslash escape JSON does not define, or a bad `\u` escape. */
  INVALID_ESCAPE: 'INVALID_ESCAPE',
  /** Arrays/objects nested deeper than the depth limit. Detected before descending further. */
  TOO_DEEP: 'TOO_DEEP',
  /** The input is larger than the size limit. Detected before parsing. */
  TOO_LARGE: 'TOO_LARGE',
  /** An object has the same key twice. */
  DUPLICATE_KEY: 'DUPLICATE_KEY',
  /** A number whose magnitude is beyond the largest double (`1e999`). */
  NUMBER_OUT_OF_RANGE: 'NUMBER_OUT_OF_RANGE',
  /** Encoder: a value that is not JSON (undefined, function, symbol, NaN, Infinity) or nesting over the encode limit (also a cycle). */
  UNENCODABLE: 'UNENCODABLE',
} as const;

export type JsonCodecErrorCode = keyof typeof JSON_CODEC_ERROR_CODES;

/** Thrown by `safeJsonParse` and `stringifyJson`. Callers match on `code`, never on the message. */
export class JsonCodecError extends Error {
  override readonly name = 'JsonCodecError';
  /** Stable, machine-readable reason. */
  readonly code: JsonCodecErrorCode;
  /** Byte offset in the (UTF-8) input where the problem was found; `undefined` for encoder errors. */
  readonly offset: number | undefined;

  constructor(code: JsonCodecErrorCode, message: string, offset?: number) {
    super(offset === undefined ? message : `${message} at byte ${offset}`);
    this.code = code;
    this.offset = offset;
  }
}

/** True for a {@link JsonCodecError}, also one from another copy of this package. */
export function isJsonCodecError(e: unknown): e is JsonCodecError {
  if (e instanceof JsonCodecError) return true;
  if (typeof e !== 'object' || e === null) return false;
  if (!('name' in e) || !('code' in e)) return false;
  return (
    e.name === 'JsonCodecError' &&
    typeof e.code === 'string' &&
    Object.hasOwn(JSON_CODEC_ERROR_CODES, e.code)
  );
}
