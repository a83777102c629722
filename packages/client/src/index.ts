export {
  createMiClient,
  type MiArgument,
  type MiCallArgs,
  type MiCallOptions,
  type MiCallResult,
  MiClient,
  type MiClientOptions,
  type MiProtocolName,
  type MiReply,
} from './client.js';
export { DEFAULT_MAX_IDLE_SOCKETS, DEFAULT_TIMEOUT } from './constants.js';
export {
  isMiClientError,
  MI_CLIENT_ERROR_CODES,
  MiClientError,
  type MiClientErrorCode,
  type MiClientErrorOptions,
} from './errors.js';
export {
  encodeJsonRpcRequest,
  type JsonRpcErrorObject,
  type JsonRpcId,
  type JsonRpcParams,
  type JsonRpcParseOutcome,
  type MiJsonRpcReply,
  parseJsonRpcResponse,
} from './jsonrpc.js';
export { type MiNamedParams, type MiParamValue, namedParamsToArguments } from './params.js';
