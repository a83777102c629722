/**
 * JSON-RPC calls of `constantReply` commands (core `version`, `which`,
 * `ps`): their result depends only on the registry (and, for `ps`, on the
 * process table's generation), so it is encoded once per key
 * (`JsonRpcResultTemplate`) and each reply only splices the request's id
 * in. The same steps as every call otherwise: the access decision, the
 * statistics, the debug log line. The first call of each key runs the
 * handler the ordinary way and fills the cache.
 */
import {
  type DatagramTransport,
  encodeJsonRpcResponse,
  type JsonRpcRequest,
  JsonRpcResultTemplate,
  type JsonValue,
} from '@mi-datagram/protocol';
import type { ConstantReplyKey, RegisteredCommand } from '../commands/index.js';
import { LOG_LEVEL } from '../ops/index.js';
import { admit } from './guard.js';
import { refusalError } from './jsonrpc.js';
import { describePeer } from './log.js';
import { sendJsonRpc } from './send.js';
import { currentReply, type RequestState } from './state.js';

/** Keeps the encoded result of a successful constant call for `key` (taken before its handler ran). */
export function rememberConstantResult(
  ctx: RequestState,
  entry: RegisteredCommand,
  result: JsonValue,
  key: ConstantReplyKey,
): void {
  const cached = ctx.jsonRpcTemplates.get(entry);
  if (cached !== undefined && cached.key.gen === key.gen && cached.key.version === key.version) {
    return;
  }
  try {
    ctx.jsonRpcTemplates.set(entry, { key, value: new JsonRpcResultTemplate(result) });
  } catch {
    // Not JSON after all: this request is answered the ordinary way, nothing is cached.
  }
}

/**
 * Answers `request` from the cache when its method is a constant command
 * whose result is cached for its current key, with no guard hook installed
 * (as the legacy cache). False: serve it the ordinary way.
 */
export function sentConstantResult<Peer>(
  ctx: RequestState,
  transport: DatagramTransport<Peer>,
  peer: Peer,
  request: JsonRpcRequest,
): boolean {
  const id = request.id;
  if (id === undefined || ctx.guard !== null) return false; // notifications: the ordinary way
  // `which COMMAND` answers recipes (docs/commands.md): only calls without params are constant.
  if (!noParams(request.params)) return false;
  const entry = ctx.registry.get(request.method);
  if (entry === undefined || !entry.constantReply) return false;
  const template = currentReply(ctx, ctx.jsonRpcTemplates, entry);
  if (template === null) return false;
  // Fixed level: checked without a request. One clock read serves the rate limit and the latency.
  const started = performance.now();
  const refusal = admit(ctx, transport as DatagramTransport<unknown>, entry, null, peer, started);
  if (refusal !== null) {
    const response = refusalError(id, refusal);
    const code = 'error' in response ? response.error.code : null;
    if (ctx.logger.level >= LOG_LEVEL.DBG) {
      ctx.logger.debug('request refused', {
        command: entry.name,
        protocol: 'jsonrpc',
        peer: describePeer(peer),
        refusal,
      });
    }
    ctx.metrics.countJsonRpc(code);
    sendJsonRpc(ctx, transport, peer, encodeJsonRpcResponse(response));
    return true;
  }
  const bytes = template.encode(id);
  if (bytes === null) return false; // too large with this id: the ordinary way answers that
  ctx.metrics.recordCall(entry.name, started);
  ctx.metrics.countJsonRpc(null);
  if (ctx.logger.level >= LOG_LEVEL.DBG) {
    ctx.logger.debug('request', {
      command: entry.name,
      protocol: 'jsonrpc',
      peer: describePeer(peer),
      status: 'result',
    });
  }
  sendJsonRpc(ctx, transport, peer, bytes);
  return true;
}

function noParams(params: JsonRpcRequest['params']): boolean {
  if (params === undefined) return true;
  return Array.isArray(params) ? params.length === 0 : Object.keys(params).length === 0;
}
