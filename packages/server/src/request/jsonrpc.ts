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
  type JsonRpcItem,
  type JsonRpcParsed,
  type JsonRpcResponse,
  type JsonValue,
  jsonRpcStandardError,
  type MiArgument,
  paramsToArguments,
  parseJsonRpcDatagram,
  type TransportErrorKind,
} from '@mi-datagram/protocol';
import {
  type CommandRegistry,
  type ConstantReplyKey,
  constantReplyKey,
  type MiRequest,
  type MiSharedStore,
  matchJsonParams,
  type RegisteredCommand,
} from '../commands/index.js';
import { isThenable } from '../common/index.js';
import { LOG_LEVEL, type Logger } from '../ops/index.js';
import { HandlerRun } from './deadline.js';
import type { GatedRun, WorkGate } from './gate.js';
import {
  failureResponse,
  internalError,
  paramsErrorResponse,
  refusalError,
  resultResponse,
} from './jsonrpc-responses.js';
import { ServedRequest } from './served-request.js';

export { refusalError } from './jsonrpc-responses.js';

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
  /**
   * The in-flight bound and deadlines (src/request/gate.ts), for requests
   * from `peer`; each request of a batch takes its own slot. Absent: none.
   */
  readonly gate?: WorkGate;
  /** The sender (its source, for the bound). */
  readonly peer?: unknown;
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
  /** What handlers see as `request.shared`. */
  readonly shared: MiSharedStore;
  /**
   * Called with the result of a successful call of a `constantReply`
   * command (core `version`, `which`, `ps`) without params, and the key
   * taken before its handler ran, which the caller may encode once and
   * reuse for that key (jsonrpc-constant.ts).
   */
  readonly onConstantResult?: (
    command: RegisteredCommand,
    result: JsonValue,
    key: ConstantReplyKey,
  ) => void;
}

/** The answer to one request object: a response, or `undefined` for a notification. */
type Answer = JsonRpcResponse | undefined;

/** What to send for one datagram: bytes, or `null` for nothing. */
export type JsonRpcReply = Uint8Array | null;

const NO_ARGS: readonly MiArgument[] = Object.freeze([]);

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return value instanceof Promise;
}

function debugResponse(ctx: JsonRpcContext, method: string, response: JsonRpcResponse): void {
  ctx.logger.debug('request', {
    command: method,
    protocol: 'jsonrpc',
    peer: ctx.describePeer(),
    status: 'error' in response ? response.error.code : 'result',
  });
}

/**
 * Runs one request object; its response, `undefined` for a notification.
 * `bytes`: its charge against the in-flight byte budget (its share of the
 * datagram).
 */
function runItem(
  ctx: JsonRpcContext,
  item: JsonRpcItem,
  datagram: Uint8Array,
  bytes: number,
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
  const started = performance.now();
  const gate = ctx.gate;
  // The in-flight bound: each request of a batch takes its own slot.
  const run = gate === undefined ? null : gate.admit(ctx.peer ?? null, bytes, entry, started);
  if (gate !== undefined && run === null) return answer(refusalError(answerId, 'SERVER_BUSY'));
  const request = new ServedRequest(
    method,
    args,
    datagram,
    run ?? new HandlerRun(method, started),
    'jsonrpc',
    ctx.shared,
  );
  if (ctx.guard !== null) {
    const refusal = ctx.guard(entry, request);
    if (refusal !== null) {
      if (run !== null) gate?.release(run);
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
  // docs/commands.md: the params must fit a recipe before the handler runs.
  if (entry.params !== null && !entry.noInput) {
    const matched = matchJsonParams(entry.params, params);
    if (!matched.ok) {
      if (run !== null) gate?.release(run);
      return answer(paramsErrorResponse(answerId, matched.error));
    }
    request.matched(matched.params, matched.recipe);
  }
  const done = (response: JsonRpcResponse): Answer => {
    ctx.onCall?.(entry.name, started);
    return answer(response);
  };
  // `which NAME` answers recipes, not the cacheable list: only calls without params.
  const cacheKey = args.length === 0 ? constantReplyKey(ctx.registry, entry) : null;
  let result: unknown;
  try {
    result = entry.handler(request);
  } catch (error) {
    if (run !== null) gate?.settle(run);
    return done(failureResponse(ctx, entry, answerId, error));
  }
  if (isThenable(result)) {
    const onValue = (value: unknown) => done(resultResponse(ctx, entry, answerId, value, cacheKey));
    const onError = (error: unknown) => done(failureResponse(ctx, entry, answerId, error));
    if (gate === undefined || run === null) return Promise.resolve(result).then(onValue, onError);
    return gatedAnswer(gate, run, entry, result, onValue, onError, () =>
      done(refusalError(answerId, 'COMMAND_TIMED_OUT')),
    );
  }
  if (run !== null) gate?.settle(run);
  return done(resultResponse(ctx, entry, answerId, result, cacheKey));
}

/**
 * The answer of an asynchronous handler under its deadline: its outcome if
 * it settles in time, else error 504 at the deadline (the late outcome is
 * dropped).
 */
function gatedAnswer(
  gate: WorkGate,
  run: GatedRun,
  entry: RegisteredCommand,
  result: PromiseLike<unknown>,
  onValue: (value: unknown) => Answer,
  onError: (error: unknown) => Answer,
  onTimeout: () => Answer,
): Promise<Answer> {
  return new Promise<Answer>((resolve) => {
    gate.arm(run, entry, () => resolve(onTimeout()));
    Promise.resolve(result).then(
      (value) => {
        if (gate.settle(run)) resolve(onValue(value));
      },
      (error: unknown) => {
        if (gate.settle(run)) resolve(onError(error));
      },
    );
  });
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
      const answer = runItem(ctx, parsed.item, datagram, datagram.length);
      if (!isPromise(answer)) return encode(answer, ctx);
      return answer.then(
        (settled) => encode(settled, ctx),
        (error: unknown) => unexpected(ctx, error),
      );
    }
    // Each request of a batch takes a slot, charged its share of the datagram.
    const share = Math.ceil(datagram.length / Math.max(1, parsed.items.length));
    const answers = parsed.items.map((item) => runItem(ctx, item, datagram, share));
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
