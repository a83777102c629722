/**
 * JSON-RPC 2.0 responses: builders and the datagram encoder (PROTOCOL.md 5).
 */

import { encodeUtf8 } from '../legacy/text.js';
import { isJsonCodecError, JSONRPC_ERRORS, type JsonRpcErrorKind } from './errors.js';
import { stringifyJson, utf8ByteLength } from './json-stringify.js';
import type { JsonValue } from './json-value.js';
import { JSONRPC_MAX_DATAGRAM_SIZE, JSONRPC_MIN_RESPONSE_SIZE } from './limits.js';
import { encodeReplyText } from './reply-bytes.js';

/** A request id: a string, a number (`bigint` beyond 2^53) or `null`. */
export type JsonRpcId = string | number | bigint | null;

export interface JsonRpcSuccessResponse {
  readonly jsonrpc: '2.0';
  readonly result: JsonValue;
  readonly id: JsonRpcId;
}

export interface JsonRpcErrorObject {
  /** A JSON-RPC code (-32xxx) or, for a command's own failure, its MI code (e.g. 400). */
  readonly code: number;
  readonly message: string;
  readonly data?: JsonValue;
}

export interface JsonRpcErrorResponse {
  readonly jsonrpc: '2.0';
  readonly error: JsonRpcErrorObject;
  readonly id: JsonRpcId;
}

export type JsonRpcResponse = JsonRpcSuccessResponse | JsonRpcErrorResponse;

/** `{"jsonrpc":"2.0","result":result,"id":id}` */
export function jsonRpcResult(id: JsonRpcId, result: JsonValue): JsonRpcSuccessResponse {
  return { jsonrpc: '2.0', result, id };
}

/** `{"jsonrpc":"2.0","error":{"code":code,"message":message[,"data":data]},"id":id}` */
export function jsonRpcError(
  id: JsonRpcId,
  code: number,
  message: string,
  data?: JsonValue,
): JsonRpcErrorResponse {
  const error: JsonRpcErrorObject =
    data === undefined ? { code, message } : { code, message, data };
  return { jsonrpc: '2.0', error, id };
}

/** An error response with one of the {@link JSONRPC_ERRORS} codes and messages. */
export function jsonRpcStandardError(
  id: JsonRpcId,
  kind: JsonRpcErrorKind,
  data?: JsonValue,
): JsonRpcErrorResponse {
  const { code, message } = JSONRPC_ERRORS[kind];
  return jsonRpcError(id, code, message, data);
}

/** True for an error response. */
export function isJsonRpcErrorResponse(
  response: JsonRpcResponse,
): response is JsonRpcErrorResponse {
  return 'error' in response;
}

/** Options of {@link encodeJsonRpcResponse}. */
export interface EncodeJsonRpcOptions {
  /**
   * Largest datagram to produce, in bytes. Default
   * {@link JSONRPC_MAX_DATAGRAM_SIZE} (65457); at least
   * {@link JSONRPC_MIN_RESPONSE_SIZE} (256).
   */
  readonly maxSize?: number;
}

function serialize(response: JsonRpcResponse): string {
  const id = stringifyJson(response.id);
  if (isJsonRpcErrorResponse(response)) {
    const { code, message, data } = response.error;
    const dataPart = data === undefined ? '' : `,"data":${stringifyJson(data)}`;
    const error = `{"code":${stringifyJson(code)},"message":${stringifyJson(message)}${dataPart}}`;
    return `{"jsonrpc":"2.0","error":${error},"id":${id}}`;
  }
  return `{"jsonrpc":"2.0","result":${stringifyJson(response.result)},"id":${id}}`;
}

/**
 * Serializes one response; a response holding a value that is not JSON (see
 * `stringifyJson`) becomes a -32603 Internal error with the same id.
 */
function serializeSafely(response: JsonRpcResponse): string {
  try {
    return serialize(response);
  } catch (e) {
    if (!isJsonCodecError(e)) throw e;
    try {
      return serialize(jsonRpcStandardError(response.id, 'INTERNAL_ERROR', 'unencodable result'));
    } catch {
      return serialize(jsonRpcStandardError(null, 'INTERNAL_ERROR', 'unencodable result'));
    }
  }
}

function tooLarge(id: JsonRpcId, size: number, limit: number): string {
  const data = `response of ${size} bytes exceeds the ${limit}-byte datagram limit`;
  return serialize(jsonRpcStandardError(id, 'RESPONSE_TOO_LARGE', data));
}

/**
 * Encodes what the server sends back for one datagram.
 *
 * - One response → one JSON object. If it is over `maxSize` bytes it is
 *   replaced by a -32603 "Response too large" error with the same id (or,
 *   if even that does not fit because the id is huge, with `id: null`).
 * - An array (the answers to a batch, notifications already left out) → one
 *   JSON array; an empty array → `null` (nothing to send). If the array is
 *   over `maxSize`, members are replaced by "Response too large" errors
 *   (same id), largest first (ties: earliest first), until it fits; if it
 *   still does not fit with every member replaced, the answer is a single
 *   "Response too large" error object with `id: null` (not an array).
 * - `undefined` (a notification) → `null`.
 * - A response holding a non-JSON value (NaN, undefined, a cycle) is sent as
 *   -32603 Internal error with its id instead.
 *
 * @throws {RangeError} for a `maxSize` below {@link JSONRPC_MIN_RESPONSE_SIZE}.
 */
export function encodeJsonRpcResponse(
  response: JsonRpcResponse | readonly JsonRpcResponse[] | undefined,
  options: EncodeJsonRpcOptions = {},
): Uint8Array | null {
  const maxSize = options.maxSize ?? JSONRPC_MAX_DATAGRAM_SIZE;
  if (!Number.isInteger(maxSize) || maxSize < JSONRPC_MIN_RESPONSE_SIZE) {
    throw new RangeError(`maxSize must be an integer >= ${JSONRPC_MIN_RESPONSE_SIZE}`);
  }
  if (response === undefined) return null;
  if (!isResponseArray(response)) {
    // The text is well-formed (stringifyJson escapes lone surrogates): its
    // encoded length is its size.
    const bytes = encodeReplyText(serializeSafely(response));
    const size = bytes.length;
    if (size <= maxSize) return bytes;
    let text = tooLarge(response.id, size, maxSize);
    if (utf8ByteLength(text) > maxSize) text = tooLarge(null, size, maxSize);
    return encodeUtf8(text);
  }
  if (response.length === 0) return null;
  const texts = response.map(serializeSafely);
  const sizes = texts.map(utf8ByteLength);
  // `[` + members + commas + `]`
  let total = 2 + (texts.length - 1) + sizes.reduce((a, b) => a + b, 0);
  const originalTotal = total;
  if (total > maxSize) {
    const order = sizes.map((_, i) => i).sort((a, b) => sizes[b]! - sizes[a]! || a - b);
    for (const i of order) {
      if (total <= maxSize) break;
      const replacement = tooLarge(response[i]!.id, sizes[i]!, maxSize);
      const size = utf8ByteLength(replacement);
      texts[i] = replacement;
      total += size - sizes[i]!;
      sizes[i] = size;
    }
    if (total > maxSize) return encodeUtf8(tooLarge(null, originalTotal, maxSize));
  }
  return encodeUtf8(`[${texts.join(',')}]`);
}

function isResponseArray(
  value: JsonRpcResponse | readonly JsonRpcResponse[],
): value is readonly JsonRpcResponse[] {
  return Array.isArray(value);
}
