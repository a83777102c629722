/** Step "send": hands a reply to the transport it came from, and counts it. */
import {
  type DatagramTransport,
  type TransportErrorKind,
  transportErrorReply,
} from '@mi-datagram/protocol';
import { LOG_LEVEL } from '../ops/index.js';
import { describePeer } from './log.js';
import type { RequestState } from './state.js';

const ERROR_BYTES: Readonly<Record<TransportErrorKind, Uint8Array>> = {
  NOT_AVAILABLE: transportErrorReply('NOT_AVAILABLE'),
  PARSE_ERROR: transportErrorReply('PARSE_ERROR'),
  REQUEST_TOO_LARGE: transportErrorReply('REQUEST_TOO_LARGE'),
  COMMAND_FAILED: transportErrorReply('COMMAND_FAILED'),
  REPLY_TOO_LARGE: transportErrorReply('REPLY_TOO_LARGE'),
  INTERNAL_ERROR: transportErrorReply('INTERNAL_ERROR'),
  PERMISSION_DENIED: transportErrorReply('PERMISSION_DENIED'),
  RATE_LIMITED: transportErrorReply('RATE_LIMITED'),
};

/** A transport error line (`400 …`, `500 …`), counted by kind. */
export function sendError<Peer>(
  ctx: RequestState,
  transport: DatagramTransport<Peer>,
  peer: Peer,
  kind: TransportErrorKind,
): void {
  ctx.errors[kind]++;
  send(ctx, transport, peer, ERROR_BYTES[kind]);
}

/** A legacy reply: counted by its status (first byte), then delivered. */
export function send<Peer>(
  ctx: RequestState,
  transport: DatagramTransport<Peer>,
  peer: Peer,
  bytes: Uint8Array,
): void {
  ctx.metrics.countReply(bytes);
  deliver(ctx, transport, peer, bytes);
}

/** A JSON-RPC reply (already counted by outcome); `null`: notifications only, no reply. */
export function sendJsonRpc<Peer>(
  ctx: RequestState,
  transport: DatagramTransport<Peer>,
  peer: Peer,
  bytes: Uint8Array | null,
): void {
  if (bytes === null) {
    // Notifications only: executed, never answered.
    ctx.noReply++;
    return;
  }
  deliver(ctx, transport, peer, bytes);
}

/** Hands a reply (already counted by its class) to the transport. */
function deliver<Peer>(
  ctx: RequestState,
  transport: DatagramTransport<Peer>,
  peer: Peer,
  bytes: Uint8Array,
): void {
  if (peer === null) {
    // PROTOCOL.md 1: an unbound UNIX sender cannot be answered.
    ctx.unanswerable++;
    if (ctx.logger.level >= LOG_LEVEL.DBG) {
      ctx.logger.debug('reply not sent: the sender has no address (unbound UNIX socket)');
    }
    return;
  }
  let outcome: string;
  try {
    outcome = transport.send(bytes, peer);
  } catch (error) {
    ctx.dropped++;
    ctx.logger.error('transport refused a reply', { peer: describePeer(peer), error });
    return;
  }
  if (outcome === 'dropped') {
    ctx.dropped++;
    if (ctx.logger.level >= LOG_LEVEL.DBG) {
      ctx.logger.debug('reply dropped by the transport', { peer: describePeer(peer) });
    }
  } else {
    ctx.replied++;
  }
}
