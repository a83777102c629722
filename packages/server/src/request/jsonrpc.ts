/**
 * JSON-RPC 2.0 on the MI socket (PROTOCOL.md 5, issue 7): the part of the
 * request pipeline that serves a datagram classified as JSON-RPC. The codec
 * (parsing, validation, params → arguments, tree ↔ JSON, response encoding)
 * is `@mi-datagram/protocol`'s; this file runs the same registry, guard and
 * handlers as the legacy pipeline and maps their outcomes to responses.
 *
 * Also the JSON-first side of the command-definition contract: a handler
 * result with a `json` member, from which the legacy reply is derived.
 */
import {
  encodeJsonRpcResponse,
  JSONRPC_EMPTY_RESULT,
  JSONRPC_MAX_DATAGRAM_SIZE,
  type JsonRpcId,
  type JsonRpcItem,
  type JsonRpcParsed,
  type JsonRpcResponse,
  type JsonValue,
  jsonRpcError,
  jsonRpcResult,
  jsonRpcStandardError,
  type MiArgument,
  type MiNode,
  paramsToArguments,
  parseJsonRpcDatagram,
  TRANSPORT_ERROR_LINES,
  type TransportErrorKind,
  treeToJson,
} from '@mi-datagram/protocol';
import type { CommandRegistry, MiRequest, RegisteredCommand } from '../commands/index.js';
import { isMiError, isThenable } from '../common/index.js';
import { LOG_LEVEL, type Logger } from '../ops/index.js';
import { checkJson, treeProblem } from './results.js';

/** The guard of the listener the datagram came in on, bound to its peer; `null` = allowed. */
export type JsonRpcGuard = (
  command: RegisteredCommand,
  request: MiRequest,
) => TransportErrorKind | null;

/** What {@link serveJsonRpc} needs from the server. */
export interface JsonRpcContext {
  readonly registry: CommandRegistry;
  readonly logger: Logger;
  /** The same guard legacy requests go through; run once per request (batch members included). */
  readonly guard: JsonRpcGuard | null;
  /** The peer as logs show it (called only when something is logged). */
  readonly describePeer: () => string;
  /** Called once per handler run when it has settled (statistics), with its `performance.now()` start. */
  readonly onCall?: (command: string, startedMs: number) => void;
  /**
   * Called once per response put in the reply datagram (statistics): `null`
   * for a `result`, else the error's code. Not called for notifications.
   * A response the encoder replaces because it exceeds the datagram limit
   * is reported as it was before the replacement.
   */
  readonly onResponse?: (errorCode: number | null) => void;
  /**
   * Called with the result of a successful call of a `constantReply`
   * command (core `version`, `which`), which the caller may encode once
   * and reuse (jsonrpc-constant.ts).
   */
  readonly onConstantResult?: (command: RegisteredCommand, result: JsonValue) => void;
}

/** The answer to one request object: a response, or `undefined` for a notification. */
type Answer = JsonRpcResponse | undefined;

/** What to send for one datagram: bytes, or `null` for nothing. */
export type JsonRpcReply = Uint8Array | null;

const NO_ARGS: readonly MiArgument[] = Object.freeze([]);

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return value instanceof Promise;
}

/**
 * The error a guard refusal becomes: the code and text of its legacy line
 * (`403 Permission denied\n` → `{code: 403, message: "Permission denied"}`).
 */
export function refusalError(id: JsonRpcId, kind: TransportErrorKind): JsonRpcResponse {
  const line = TRANSPORT_ERROR_LINES[kind];
  const space = line.indexOf(' ');
  return jsonRpcError(id, Number(line.slice(0, space)), line.slice(space + 1, -1));
}

// ---------------------------------------------------------------------------
// One request

function internalError(id: JsonRpcId): JsonRpcResponse {
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

/** A handler's result (anything) as the response to request `id`. */
function resultResponse(
  ctx: JsonRpcContext,
  entry: RegisteredCommand,
  id: JsonRpcId,
  result: unknown,
): JsonRpcResponse {
  if (result === undefined || result === null) return jsonRpcResult(id, JSONRPC_EMPTY_RESULT);
  if (typeof result !== 'object' || Array.isArray(result)) {
    return invalidResult(ctx, entry, id, `returned a ${typeof result}, not a result object`);
  }
  const r = result as { code?: unknown; reason?: unknown; nodes?: unknown; json?: unknown };
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
    if (entry.constantReply) ctx.onConstantResult?.(entry, json);
    return jsonRpcResult(id, json);
  }
  const nodes = r.nodes === undefined || r.nodes === null ? [] : r.nodes;
  const problem = treeProblem(nodes);
  if (problem === 'too large') return tooLarge(ctx, entry, id);
  if (problem !== null) return invalidResult(ctx, entry, id, problem);
  const tree = nodes as readonly MiNode[];
  if (success) {
    const json = tree.length === 0 ? JSONRPC_EMPTY_RESULT : treeToJson(tree);
    if (entry.constantReply) ctx.onConstantResult?.(entry, json);
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
function failureResponse(
  ctx: JsonRpcContext,
  entry: RegisteredCommand,
  id: JsonRpcId,
  error: unknown,
): JsonRpcResponse {
  if (isMiError(error)) return jsonRpcError(id, error.code, error.reason);
  ctx.logger.error('command handler failed', {
    command: entry.name,
    module: entry.module,
    protocol: 'jsonrpc',
    peer: ctx.describePeer(),
    error: error instanceof Error ? error : String(error),
  });
  return internalError(id);
}

function debugResponse(ctx: JsonRpcContext, method: string, response: JsonRpcResponse): void {
  ctx.logger.debug('request', {
    command: method,
    protocol: 'jsonrpc',
    peer: ctx.describePeer(),
    status: 'error' in response ? response.error.code : 'result',
  });
}

/** Runs one request object; its response, `undefined` for a notification. */
function runItem(
  ctx: JsonRpcContext,
  item: JsonRpcItem,
  datagram: Uint8Array,
): Answer | Promise<Answer> {
  if (!item.ok) return item.response;
  const { method, params, id } = item.request;
  const answerId = id ?? null;
  // JSON-RPC 2.0 section 4.1: a notification is never answered, not even with an error.
  const answer = (response: JsonRpcResponse): Answer => {
    if (ctx.logger.level >= LOG_LEVEL.DBG) debugResponse(ctx, method, response);
    return id === undefined ? undefined : response;
  };
  const entry = ctx.registry.get(method);
  if (entry === undefined) return answer(jsonRpcStandardError(answerId, 'METHOD_NOT_FOUND'));
  let args: readonly MiArgument[] = NO_ARGS;
  // A datagram of at most 65457 bytes holds fewer params than MAX_ARGUMENTS,
  // the legacy parser's limit, so no count check is needed here.
  if (!entry.noInput && params !== undefined) args = paramsToArguments(params);
  const request: MiRequest = { command: method, args, rawArgs: args, datagram };
  if (ctx.guard !== null) {
    const refusal = ctx.guard(entry, request);
    if (refusal !== null) {
      if (ctx.logger.level >= LOG_LEVEL.DBG) {
        ctx.logger.debug('request refused', {
          command: entry.name,
          protocol: 'jsonrpc',
          peer: ctx.describePeer(),
          refusal,
        });
      }
      return answer(refusalError(answerId, refusal));
    }
  }
  const started = performance.now();
  const done = (response: JsonRpcResponse): Answer => {
    ctx.onCall?.(entry.name, started);
    return answer(response);
  };
  let result: unknown;
  try {
    result = entry.handler(request);
  } catch (error) {
    return done(failureResponse(ctx, entry, answerId, error));
  }
  if (isThenable(result)) {
    return Promise.resolve(result).then(
      (value) => done(resultResponse(ctx, entry, answerId, value)),
      (error: unknown) => done(failureResponse(ctx, entry, answerId, error)),
    );
  }
  return done(resultResponse(ctx, entry, answerId, result));
}

function encode(answer: Answer | readonly JsonRpcResponse[], ctx: JsonRpcContext): JsonRpcReply {
  let bytes: JsonRpcReply;
  try {
    bytes = encodeJsonRpcResponse(answer);
  } catch (error) {
    // Only a result whose reading throws (a getter, a proxy) gets here.
    ctx.logger.error('cannot encode a JSON-RPC response', { error });
    const failed = internalError(null);
    countResponses(ctx, failed);
    return encodeJsonRpcResponse(failed);
  }
  countResponses(ctx, answer);
  return bytes;
}

/** Reports each response of a reply to {@link JsonRpcContext.onResponse}. */
function countResponses(ctx: JsonRpcContext, answer: Answer | readonly JsonRpcResponse[]): void {
  const onResponse = ctx.onResponse;
  if (onResponse === undefined || answer === undefined) return;
  if (isResponseList(answer)) {
    for (const response of answer) onResponse('error' in response ? response.error.code : null);
  } else {
    onResponse('error' in answer ? answer.error.code : null);
  }
}

function isResponseList(
  answer: JsonRpcResponse | readonly JsonRpcResponse[],
): answer is readonly JsonRpcResponse[] {
  return Array.isArray(answer);
}

function encodeBatch(answers: readonly Answer[], ctx: JsonRpcContext): JsonRpcReply {
  const responses = answers.filter((a): a is JsonRpcResponse => a !== undefined);
  return encode(responses, ctx);
}

/**
 * Serves one JSON-RPC datagram: parses it, runs every request (the members
 * of a batch all start before any is awaited, so asynchronous handlers run
 * concurrently; the answers keep the request order) and returns the reply
 * datagram, `null` when nothing is to be sent (notifications only). The
 * value is a promise only when some handler is asynchronous. Never throws;
 * the promise never rejects.
 *
 * `datagram` is what handlers see as `request.datagram` (a copy when the
 * transport reuses its buffers).
 */
export function serveJsonRpc(
  ctx: JsonRpcContext,
  data: Uint8Array,
  truncated: boolean,
  datagram: Uint8Array = data,
): JsonRpcReply | Promise<JsonRpcReply> {
  return serveParsedJsonRpc(ctx, parseJsonRpcDatagram(data, { truncated }), datagram);
}

/** {@link serveJsonRpc} for a datagram the caller has parsed already. */
export function serveParsedJsonRpc(
  ctx: JsonRpcContext,
  parsed: JsonRpcParsed,
  datagram: Uint8Array,
): JsonRpcReply | Promise<JsonRpcReply> {
  try {
    if (parsed.kind === 'error') {
      if (ctx.logger.level >= LOG_LEVEL.DBG) {
        ctx.logger.debug('JSON-RPC datagram refused', {
          peer: ctx.describePeer(),
          code: parsed.response.error.code,
          reason: parsed.response.error.data ?? parsed.response.error.message,
        });
      }
      return encode(parsed.response, ctx);
    }
    if (parsed.kind === 'single') {
      const answer = runItem(ctx, parsed.item, datagram);
      if (!isPromise(answer)) return encode(answer, ctx);
      return answer.then(
        (settled) => encode(settled, ctx),
        (error: unknown) => unexpected(ctx, error),
      );
    }
    const answers = parsed.items.map((item) => runItem(ctx, item, datagram));
    if (!answers.some(isPromise)) return encodeBatch(answers as Answer[], ctx);
    return Promise.all(answers).then(
      (settled) => encodeBatch(settled, ctx),
      (error: unknown) => unexpected(ctx, error),
    );
  } catch (error) {
    return unexpected(ctx, error);
  }
}

/** A bug of ours: logged, answered with -32603 and `id: null`. */
function unexpected(ctx: JsonRpcContext, error: unknown): JsonRpcReply {
  ctx.logger.error('internal error while serving a JSON-RPC request', {
    peer: ctx.describePeer(),
    error,
  });
  const response = internalError(null);
  countResponses(ctx, response);
  return encodeJsonRpcResponse(response);
}
