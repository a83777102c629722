/**
 * The responses of one JSON-RPC request (PROTOCOL.md 5): a handler's result
 * or exception, a refusal, an invalid-params error, as response objects.
 */
import {
  JSONRPC_EMPTY_RESULT,
  JSONRPC_MAX_DATAGRAM_SIZE,
  type JsonRpcId,
  type JsonRpcResponse,
  type JsonValue,
  jsonRpcError,
  jsonRpcResult,
  jsonRpcStandardError,
  type MiNode,
  TRANSPORT_ERROR_LINES,
  type TransportErrorKind,
  treeToJson,
} from '@mi-datagram/protocol';
import {
  type ConstantReplyKey,
  InvalidParamsError,
  invalidParamsJsonError,
  isInvalidParamsError,
  type RegisteredCommand,
} from '../commands/index.js';
import { isMiError } from '../common/index.js';
import type { JsonRpcContext } from './jsonrpc.js';
import { checkJson, treeProblem } from './results.js';

/**
 * The error a guard refusal becomes: the code and text of its legacy line
 * (`403 Permission denied\n` → `{code: 403, message: "Permission denied"}`).
 */
export function refusalError(id: JsonRpcId, kind: TransportErrorKind): JsonRpcResponse {
  const line = TRANSPORT_ERROR_LINES[kind];
  const space = line.indexOf(' ');
  return jsonRpcError(id, Number(line.slice(0, space)), line.slice(space + 1, -1));
}

export function internalError(id: JsonRpcId): JsonRpcResponse {
  return jsonRpcStandardError(id, 'INTERNAL_ERROR');
}

function invalidResult(
  ctx: JsonRpcContext,
  entry: RegisteredCommand,
  id: JsonRpcId,
  problem: string,
): JsonRpcResponse {
  ctx.logger.error('command handler returned an invalid reply', {
    command: entry.name,
    module: entry.module,
    protocol: 'jsonrpc',
    problem,
  });
  return internalError(id);
}

/** `-32602 Invalid params` with the error's text as `data`, as OpenSIPS 3 answers. */
export function paramsErrorResponse(id: JsonRpcId, error: InvalidParamsError): JsonRpcResponse {
  const { code, message, data } = invalidParamsJsonError(error);
  return jsonRpcError(id, code, message, data);
}

/** A handler's result (anything) as the response to request `id`. */
export function resultResponse(
  ctx: JsonRpcContext,
  entry: RegisteredCommand,
  id: JsonRpcId,
  result: unknown,
  /** A `constantReply` command called without params: the key its result may be cached under. */
  cacheKey: ConstantReplyKey | null = null,
): JsonRpcResponse {
  if (result === undefined || result === null) return jsonRpcResult(id, JSONRPC_EMPTY_RESULT);
  if (typeof result !== 'object' || Array.isArray(result)) {
    return invalidResult(ctx, entry, id, `returned a ${typeof result}, not a result object`);
  }
  const r = result as {
    code?: unknown;
    reason?: unknown;
    nodes?: unknown;
    json?: unknown;
    paramsError?: unknown;
  };
  if (typeof r.paramsError === 'string') {
    return paramsErrorResponse(id, new InvalidParamsError(r.paramsError));
  }
  const code = r.code === undefined ? 200 : r.code;
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 100 || code > 999) {
    return invalidResult(ctx, entry, id, `status code must be an integer 100..999`);
  }
  const reason = r.reason === undefined ? (code === 200 ? 'OK' : '') : r.reason;
  if (typeof reason !== 'string' || reason.includes('\n')) {
    return invalidResult(ctx, entry, id, 'reason must be a string without a newline');
  }
  const success = code >= 200 && code <= 299;
  if (r.json !== undefined) {
    const json = r.json as JsonValue;
    try {
      checkJson(json);
    } catch (error) {
      if (error instanceof RangeError) return tooLarge(ctx, entry, id);
      return invalidResult(ctx, entry, id, error instanceof Error ? error.message : String(error));
    }
    if (!success) return jsonRpcError(id, code, reason, json);
    if (cacheKey !== null) ctx.onConstantResult?.(entry, json, cacheKey);
    return jsonRpcResult(id, json);
  }
  const nodes = r.nodes === undefined || r.nodes === null ? [] : r.nodes;
  const problem = treeProblem(nodes);
  if (problem === 'too large') return tooLarge(ctx, entry, id);
  if (problem !== null) return invalidResult(ctx, entry, id, problem);
  const tree = nodes as readonly MiNode[];
  if (success) {
    const json = tree.length === 0 ? JSONRPC_EMPTY_RESULT : treeToJson(tree);
    if (cacheKey !== null) ctx.onConstantResult?.(entry, json, cacheKey);
    return jsonRpcResult(id, json);
  }
  return tree.length === 0
    ? jsonRpcError(id, code, reason)
    : jsonRpcError(id, code, reason, treeToJson(tree));
}

function tooLarge(ctx: JsonRpcContext, entry: RegisteredCommand, id: JsonRpcId): JsonRpcResponse {
  ctx.logger.warn('reply too large', {
    command: entry.name,
    protocol: 'jsonrpc',
    limit: JSONRPC_MAX_DATAGRAM_SIZE,
  });
  return jsonRpcStandardError(
    id,
    'RESPONSE_TOO_LARGE',
    `the response exceeds the ${JSONRPC_MAX_DATAGRAM_SIZE}-byte datagram limit`,
  );
}

/** A handler's exception as the response to request `id`. */
export function failureResponse(
  ctx: JsonRpcContext,
  entry: RegisteredCommand,
  id: JsonRpcId,
  error: unknown,
): JsonRpcResponse {
  if (isMiError(error)) return jsonRpcError(id, error.code, error.reason);
  if (isInvalidParamsError(error)) return paramsErrorResponse(id, error);
  ctx.logger.error('command handler failed', {
    command: entry.name,
    module: entry.module,
    protocol: 'jsonrpc',
    peer: ctx.describePeer(),
    error: error instanceof Error ? error : String(error),
  });
  return internalError(id);
}
