/**
 * JSON-RPC 2.0 request datagrams: validation, batches, notifications, and
 * the params → MI arguments mapping (PROTOCOL.md 5).
 */

import type { MiArgument } from '../legacy/request-parser.js';
import { encodeUtf8 } from '../legacy/text.js';
import { isJsonCodecError } from './errors.js';
import { readCommonJsonRpcRequest } from './fast-request.js';
import { safeJsonParse } from './json-parse.js';
import { stringifyJson } from './json-stringify.js';
import {
  isJsonArray,
  isJsonObject,
  type JsonArray,
  type JsonObject,
  type JsonValue,
  ownField,
} from './json-value.js';
import {
  JSON_MAX_DEPTH,
  JSON_MAX_DEPTH_CEILING,
  JSONRPC_MAX_BATCH_SIZE,
  JSONRPC_MAX_DATAGRAM_SIZE,
} from './limits.js';
import { type JsonRpcErrorResponse, type JsonRpcId, jsonRpcStandardError } from './response.js';

/** Positional (array) or named (object) params. */
export type JsonRpcParams = JsonArray | JsonObject;

/** A valid request object. */
export interface JsonRpcRequest {
  readonly method: string;
  /** `undefined` when the request has no `params` member. */
  readonly params: JsonRpcParams | undefined;
  /** `undefined` when the request has no `id` member: a notification, executed but never answered. */
  readonly id: JsonRpcId | undefined;
}

/** One request object of a datagram: valid, or already answered by an error. */
export type JsonRpcItem =
  | { readonly ok: true; readonly request: JsonRpcRequest }
  | { readonly ok: false; readonly response: JsonRpcErrorResponse };

/**
 * A parsed JSON-RPC datagram.
 *
 * - `single`: the datagram is one object. Answer with one response object
 *   (none for a valid notification).
 * - `batch`: a non-empty array within the batch limit. Answer with an array
 *   of the responses of its items, in order, notifications left out; if that
 *   leaves nothing, send nothing.
 * - `error`: the datagram as a whole is refused (parse error, too large, empty
 *   or oversized batch, a JSON value that is neither object nor array).
 *   Send `response`, execute nothing.
 */
export type JsonRpcParsed =
  | { readonly kind: 'single'; readonly item: JsonRpcItem }
  | { readonly kind: 'batch'; readonly items: readonly JsonRpcItem[] }
  | { readonly kind: 'error'; readonly response: JsonRpcErrorResponse };

/** Options of {@link parseJsonRpcDatagram}. Every field is optional. */
export interface JsonRpcParseOptions {
  /** Largest request datagram, in bytes. Default {@link JSONRPC_MAX_DATAGRAM_SIZE} (65457). */
  readonly maxRequestSize?: number;
  /** Deepest JSON nesting. Default {@link JSON_MAX_DEPTH} (64). */
  readonly maxDepth?: number;
  /** Most requests in one batch. Default {@link JSONRPC_MAX_BATCH_SIZE} (100). */
  readonly maxBatchSize?: number;
  /**
   * The transport cut the datagram (MSG_TRUNC): it is refused as too large
   * without being parsed. Default `false`.
   */
  readonly truncated?: boolean;
}

function invalid(id: JsonRpcId, detail: string): JsonRpcItem {
  return { ok: false, response: jsonRpcStandardError(id, 'INVALID_REQUEST', detail) };
}

function isValidId(value: JsonValue): value is JsonRpcId {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'bigint'
  );
}

/**
 * Validates one request object. Members other than `jsonrpc`, `method`,
 * `params` and `id` are ignored. An invalid request is always answered (it
 * cannot be known to be a notification), with its `id` when that is valid,
 * else `null`.
 */
export function validateJsonRpcRequest(value: JsonValue): JsonRpcItem {
  if (!isJsonObject(value)) return invalid(null, 'a request must be an object');
  let id: JsonRpcId | undefined;
  if (Object.hasOwn(value, 'id')) {
    const raw = ownField(value, 'id') ?? null;
    if (!isValidId(raw)) return invalid(null, 'id must be a string, a number or null');
    id = raw;
  }
  const answerId = id ?? null;
  if (ownField(value, 'jsonrpc') !== '2.0') {
    return invalid(answerId, 'jsonrpc must be exactly "2.0"');
  }
  const method = ownField(value, 'method');
  if (typeof method !== 'string') return invalid(answerId, 'method must be a string');
  let params: JsonRpcParams | undefined;
  if (Object.hasOwn(value, 'params')) {
    const raw = ownField(value, 'params') ?? null;
    if (!isJsonArray(raw) && !isJsonObject(raw)) {
      return invalid(answerId, 'params must be an array or an object');
    }
    params = raw;
  }
  return { ok: true, request: { method, params, id } };
}

/**
 * Parses and validates one JSON-RPC datagram. Never throws for any bytes:
 * every failure is a value carrying the error response to send.
 *
 * - Over `maxRequestSize` bytes, or `truncated` → `error`, -32600 "Request
 *   too large", `id: null`, nothing parsed.
 * - Not JSON (syntax, invalid UTF-8, BOM, depth, duplicate key, `1e999`) →
 *   `error`, -32700 "Parse error", `id: null`, the reason in `data`.
 * - A scalar → `error`, -32600. `[]` → `error`, -32600 (one object, not an
 *   array). More than `maxBatchSize` items → `error`, -32600.
 * - An object → `single`; an array → `batch` (each member validated on its own).
 */
export function parseJsonRpcDatagram(
  data: Uint8Array,
  options: JsonRpcParseOptions = {},
): JsonRpcParsed {
  const maxRequestSize = options.maxRequestSize ?? JSONRPC_MAX_DATAGRAM_SIZE;
  const maxBatchSize = options.maxBatchSize ?? JSONRPC_MAX_BATCH_SIZE;
  const refused = refuseOversized(data, maxRequestSize, options.truncated === true);
  if (refused !== null) return refused;
  const maxDepth = options.maxDepth ?? JSON_MAX_DEPTH;
  // The common request shape in one pass (fast-request.ts); anything else,
  // errors included, goes to the full parser below.
  // (A bad maxDepth is left to safeJsonParse's RangeError.)
  if (Number.isInteger(maxDepth) && maxDepth >= 2 && maxDepth <= JSON_MAX_DEPTH_CEILING) {
    const fast = readCommonJsonRpcRequest(data);
    if (fast !== null) return fast;
  }
  return parseFully(data, maxRequestSize, maxDepth, maxBatchSize);
}

/**
 * {@link parseJsonRpcDatagram} without the one-pass reader: always the full
 * parser. The reference the fast path is tested against; not exported from
 * the package.
 */
export function parseJsonRpcDatagramFully(
  data: Uint8Array,
  options: JsonRpcParseOptions = {},
): JsonRpcParsed {
  const maxRequestSize = options.maxRequestSize ?? JSONRPC_MAX_DATAGRAM_SIZE;
  const refused = refuseOversized(data, maxRequestSize, options.truncated === true);
  if (refused !== null) return refused;
  return parseFully(
    data,
    maxRequestSize,
    options.maxDepth ?? JSON_MAX_DEPTH,
    options.maxBatchSize ?? JSONRPC_MAX_BATCH_SIZE,
  );
}

function refuseOversized(
  data: Uint8Array,
  maxRequestSize: number,
  truncated: boolean,
): JsonRpcParsed | null {
  if (!truncated && data.length <= maxRequestSize) return null;
  const detail = truncated
    ? 'the datagram was truncated'
    : `request of ${data.length} bytes exceeds the ${maxRequestSize}-byte limit`;
  return { kind: 'error', response: jsonRpcStandardError(null, 'REQUEST_TOO_LARGE', detail) };
}

function parseFully(
  data: Uint8Array,
  maxRequestSize: number,
  maxDepth: number,
  maxBatchSize: number,
): JsonRpcParsed {
  let value: JsonValue;
  try {
    value = safeJsonParse(data, { maxBytes: maxRequestSize, maxDepth });
  } catch (e) {
    if (!isJsonCodecError(e)) throw e;
    return { kind: 'error', response: jsonRpcStandardError(null, 'PARSE_ERROR', e.message) };
  }
  if (isJsonArray(value)) {
    if (value.length === 0) {
      return {
        kind: 'error',
        response: jsonRpcStandardError(null, 'INVALID_REQUEST', 'empty batch'),
      };
    }
    if (value.length > maxBatchSize) {
      const detail = `batch of ${value.length} requests exceeds the limit of ${maxBatchSize}`;
      return { kind: 'error', response: jsonRpcStandardError(null, 'INVALID_REQUEST', detail) };
    }
    return { kind: 'batch', items: value.map(validateJsonRpcRequest) };
  }
  if (!isJsonObject(value)) {
    const detail = 'a request must be an object or a batch array';
    return { kind: 'error', response: jsonRpcStandardError(null, 'INVALID_REQUEST', detail) };
  }
  return { kind: 'single', item: validateJsonRpcRequest(value) };
}

/** True for a request without an `id` member: executed, never answered. */
export function isJsonRpcNotification(request: JsonRpcRequest): boolean {
  return request.id === undefined;
}

/** The argument text of one param value: strings as they are, anything else as its JSON text. */
function argumentValue(value: JsonValue): string | null {
  if (value === null) return null;
  if (typeof value === 'string') return value;
  return stringifyJson(value);
}

function argument(name: string | null, value: string | null): MiArgument {
  return {
    name,
    value,
    nameBytes: name === null ? null : encodeUtf8(name),
    valueBytes: value === null ? null : encodeUtf8(value),
  };
}

/**
 * The MI arguments the same handlers get for a JSON-RPC call (PROTOCOL.md 5):
 *
 * - absent params → no arguments;
 * - positional params (array) → one value-only argument per item
 *   (`name: null`), in order;
 * - named params (object) → one `name::value` argument per member, in the
 *   object's property order (as `JSON.parse` would give it: keys that are
 *   array indices such as `"2"` come first, ascending, then the others in
 *   the order received);
 * - a string value is passed as it is; `null` is an absent value
 *   (`value: null`; a positional `null` is thus an argument with neither
 *   name nor value, which the legacy grammar cannot express); numbers,
 *   booleans, arrays and objects are passed as their compact JSON text
 *   (`1`, `true`, `[1,"a"]`, `{"k":"v"}`).
 *
 * `nameBytes`/`valueBytes` are the UTF-8 encoding of `name`/`value` (a lone
 * surrogate from a `\u` escape becomes U+FFFD there).
 */
export function paramsToArguments(params: JsonRpcParams | undefined): MiArgument[] {
  if (params === undefined) return [];
  if (isJsonArray(params)) return params.map((item) => argument(null, argumentValue(item)));
  return Object.entries(params).map(([name, value]) => argument(name, argumentValue(value)));
}
