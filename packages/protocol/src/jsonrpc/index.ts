/**
 * JSON-RPC 2.0 on the MI datagram socket (PROTOCOL.md 5): datagram
 * classification, hardened JSON parsing, request validation, response
 * encoding and the reply tree ↔ JSON mapping.
 */

export { classifyDatagram, type DatagramKind } from './classify.js';
export {
  isJsonCodecError,
  JSON_CODEC_ERROR_CODES,
  JSONRPC_ERRORS,
  JsonCodecError,
  type JsonCodecErrorCode,
  type JsonRpcErrorKind,
} from './errors.js';
export { type JsonParseLimits, safeJsonParse } from './json-parse.js';
export { stringifyJson, utf8ByteLength } from './json-stringify.js';
export {
  isJsonArray,
  isJsonObject,
  type JsonArray,
  type JsonObject,
  type JsonPrimitive,
  type JsonValue,
  jsonObject,
} from './json-value.js';
export {
  JSON_MAX_DEPTH,
  JSON_MAX_DEPTH_CEILING,
  JSON_MAX_ENCODE_DEPTH,
  JSONRPC_MAX_BATCH_SIZE,
  JSONRPC_MAX_DATAGRAM_SIZE,
  JSONRPC_MIN_RESPONSE_SIZE,
} from './limits.js';
export {
  isJsonRpcNotification,
  type JsonRpcItem,
  type JsonRpcParams,
  type JsonRpcParsed,
  type JsonRpcParseOptions,
  type JsonRpcRequest,
  paramsToArguments,
  parseJsonRpcDatagram,
  validateJsonRpcRequest,
} from './request.js';
export {
  type EncodeJsonRpcOptions,
  encodeJsonRpcResponse,
  isJsonRpcErrorResponse,
  type JsonRpcErrorObject,
  type JsonRpcErrorResponse,
  type JsonRpcId,
  type JsonRpcResponse,
  type JsonRpcSuccessResponse,
  jsonRpcError,
  jsonRpcResult,
  jsonRpcStandardError,
} from './response.js';
export { JsonRpcResultTemplate } from './result-template.js';
export {
  JSONRPC_EMPTY_RESULT,
  jsonToReplyTree,
  jsonToTree,
  replyToJsonRpc,
  TREE_JSON_UNNAMED_KEY,
  TREE_JSON_VALUE_KEY,
  treeToJson,
} from './tree-json.js';
