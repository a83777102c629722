/**
 * Limits of the JSON-RPC side. All are checked before the work they bound.
 */

import { MAX_DATAGRAM_SIZE } from '../legacy/limits.js';

/**
 * Largest JSON-RPC request or response datagram: the same 65457 bytes as the
 * legacy protocol (`DATAGRAM_SOCK_BUF_SIZE`, PROTOCOL.md 1).
 */
export const JSONRPC_MAX_DATAGRAM_SIZE = MAX_DATAGRAM_SIZE;

/**
 * Deepest nesting of arrays and objects `safeJsonParse` accepts by default;
 * the outermost array or object is depth 1. Parsing stops with `TOO_DEEP` as
 * soon as the limit is crossed, so `[[[[…` of any length never grows the stack.
 * A request needs 3 (`{"params":{"x":[…]}}`); 64 leaves room for data.
 */
export const JSON_MAX_DEPTH = 64;

/** Ceiling for the `maxDepth` option (the parser recurses once per level). */
export const JSON_MAX_DEPTH_CEILING = 1000;

/** Deepest nesting `stringifyJson` writes; deeper values (and cycles) are `UNENCODABLE`. */
export const JSON_MAX_ENCODE_DEPTH = 512;

/**
 * Most requests one batch may hold. A larger batch is refused as a whole
 * with one -32600 error (`id: null`) and nothing is executed.
 */
export const JSONRPC_MAX_BATCH_SIZE = 100;

/**
 * Smallest `maxSize` `encodeJsonRpcResponse` accepts: room for a
 * "Response too large" error with `id: null` and its data.
 */
export const JSONRPC_MIN_RESPONSE_SIZE = 256;
