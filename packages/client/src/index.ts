export { MiClient } from './client.js';
export type {
  MiArgument,
  MiCallArgs,
  MiCallOptions,
  MiCallResult,
  MiClientOptions,
  MiProtocolName,
  MiReply,
} from './client-types.js';
export { DEFAULT_MAX_IDLE_SOCKETS, DEFAULT_TIMEOUT } from './constants.js';
export { createMiClient } from './create.js';
export {
  isMiClientError,
  MI_CLIENT_ERROR_CODES,
  MiClientError,
  type MiClientErrorCode,
  type MiClientErrorOptions,
} from './errors.js';
export {
  argumentsToJsonRpcParams,
  encodeJsonRpcRequest,
  type JsonRpcErrorObject,
  type JsonRpcId,
  type JsonRpcParams,
  type JsonRpcParseOutcome,
  type MiJsonRpcReply,
  parseJsonRpcResponse,
} from './jsonrpc.js';
export { type MiNamedParams, type MiParamValue, namedParamsToArguments } from './params.js';
export { type MiEvent, MiSubscribeError, type SubscribeOptions } from './subscribe.js';
