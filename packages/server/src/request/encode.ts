/**
 * Step "encode": a handler's outcome (result or exception) as a legacy reply
 * (PROTOCOL.md 3–4), then sent.
 */
import {
  type DatagramTransport,
  encodeReply,
  isMiProtocolError,
  type JsonValue,
  MAX_DATAGRAM_SIZE,
  type MiReplyTree,
} from '@mi-datagram/protocol';
import {
  type ConstantReplyKey,
  InvalidParamsError,
  invalidParamsLegacyStatus,
  isInvalidParamsError,
  type RegisteredCommand,
} from '../commands/index.js';
import { isMiError } from '../common/index.js';
import { debugRequest, describePeer } from './log.js';
import { jsonToLegacyNodes } from './results.js';
import { send, sendError } from './send.js';
import { NO_NODES, type RequestState } from './state.js';

/** Encodes a handler's result and sends it. */
export function sendResult<Peer>(
  ctx: RequestState,
  transport: DatagramTransport<Peer>,
  peer: Peer,
  entry: RegisteredCommand,
  result: unknown,
  /**
   * The key of a `constantReply` command's reply, taken before its handler
   * ran (`constantReplyKey`); null: not to be cached (other commands, a
   * request with arguments).
   */
  cacheKey: ConstantReplyKey | null = null,
): void {
  let bytes: Uint8Array;
  if (result === undefined || result === null) {
    bytes = ctx.okBytes;
  } else if (typeof result !== 'object' || Array.isArray(result)) {
    ctx.logger.error('command handler returned something other than a result object', {
      command: entry.name,
      returned: typeof result,
    });
    sendError(ctx, transport, peer, 'COMMAND_FAILED');
    return;
  } else {
    const r = result as {
      code?: unknown;
      reason?: unknown;
      nodes?: unknown;
      json?: unknown;
      paramsError?: unknown;
    };
    if (typeof r.paramsError === 'string') {
      // The handler refused a value (docs/commands.md): as a thrown InvalidParamsError.
      sendFailure(ctx, transport, peer, entry, new InvalidParamsError(r.paramsError));
      return;
    }
    const code = r.code === undefined ? 200 : r.code;
    let nodes = r.nodes;
    if ((nodes === undefined || nodes === null) && r.json !== undefined) {
      // A JSON-first result without its own legacy tree (README "JSON-first commands").
      try {
        nodes = jsonToLegacyNodes(r.json as JsonValue);
      } catch (error) {
        invalidJsonResult(ctx, transport, peer, entry, error);
        return;
      }
    }
    const tree = {
      code,
      reason: r.reason === undefined ? (code === 200 ? 'OK' : '') : r.reason,
      nodes: nodes === undefined || nodes === null ? NO_NODES : nodes,
    } as MiReplyTree;
    const encoded = encodeTree(ctx, transport, peer, entry, tree);
    if (encoded === null) return;
    bytes = encoded;
    if (cacheKey !== null) ctx.constantReplies.set(entry, { key: cacheKey, value: bytes });
  }
  send(ctx, transport, peer, bytes);
  debugRequest(ctx, entry, peer, bytes);
}

/** A handler's exception: an `MiError` is an ordinary reply with its status, anything else `500`. */
export function sendFailure<Peer>(
  ctx: RequestState,
  transport: DatagramTransport<Peer>,
  peer: Peer,
  entry: RegisteredCommand,
  error: unknown,
): void {
  const status = isMiError(error)
    ? error // ARCHITECTURE.md: an MiError is an ordinary reply with that status.
    : isInvalidParamsError(error)
      ? invalidParamsLegacyStatus(error, entry.legacyCountError) // docs/commands.md
      : null;
  if (status !== null) {
    const bytes = encodeTree(ctx, transport, peer, entry, {
      code: status.code,
      reason: status.reason,
      nodes: NO_NODES,
    });
    if (bytes === null) return;
    send(ctx, transport, peer, bytes);
    debugRequest(ctx, entry, peer, bytes);
    return;
  }
  ctx.logger.error('command handler failed', {
    command: entry.name,
    module: entry.module,
    peer: describePeer(peer),
    error: error instanceof Error ? error : String(error),
  });
  sendError(ctx, transport, peer, 'COMMAND_FAILED');
}

/** encodeReply with the error mapping of PROTOCOL.md 4; null when an error line was sent. */
function encodeTree<Peer>(
  ctx: RequestState,
  transport: DatagramTransport<Peer>,
  peer: Peer,
  entry: RegisteredCommand,
  tree: MiReplyTree,
): Uint8Array | null {
  try {
    return encodeReply(tree, ctx.encodeOptions);
  } catch (error) {
    if (isMiProtocolError(error) && error.code === 'REPLY_TOO_LARGE') {
      ctx.logger.warn('reply too large', { command: entry.name, limit: MAX_DATAGRAM_SIZE });
      sendError(ctx, transport, peer, 'REPLY_TOO_LARGE');
    } else if (isMiProtocolError(error) && error.code === 'INVALID_REPLY') {
      ctx.logger.error('command handler returned an invalid reply', {
        command: entry.name,
        module: entry.module,
        error,
      });
      sendError(ctx, transport, peer, 'COMMAND_FAILED');
    } else {
      ctx.logger.error('cannot encode reply', { command: entry.name, error });
      sendError(ctx, transport, peer, 'INTERNAL_ERROR');
    }
    return null;
  }
}

/** A JSON-first result that is not JSON (legacy request): as an invalid reply. */
function invalidJsonResult<Peer>(
  ctx: RequestState,
  transport: DatagramTransport<Peer>,
  peer: Peer,
  entry: RegisteredCommand,
  error: unknown,
): void {
  if (error instanceof RangeError) {
    ctx.logger.warn('reply too large', { command: entry.name, limit: MAX_DATAGRAM_SIZE });
    sendError(ctx, transport, peer, 'REPLY_TOO_LARGE');
    return;
  }
  ctx.logger.error('command handler returned an invalid reply', {
    command: entry.name,
    module: entry.module,
    error,
  });
  sendError(ctx, transport, peer, 'COMMAND_FAILED');
}
