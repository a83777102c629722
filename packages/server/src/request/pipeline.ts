/**
 * The request path, one datagram from receive to send (PROTOCOL.md 2–5):
 *
 * receive → classify → legacy or JSON-RPC → look up → guard → run → encode → send
 *
 * Each step is a named function of this folder that answers its own
 * failures; a step that returns null (or false) has finished the request.
 */
import { classifyDatagram, type DatagramInfo, type DatagramTransport } from '@mi-datagram/protocol';
import { admitted } from './guard.js';
import { serveJsonRpcDatagram } from './jsonrpc-path.js';
import { lookUp, readHead, readRequest, sentCachedReply } from './legacy.js';
import { describePeer } from './log.js';
import { runCommand } from './run.js';
import { sendError } from './send.js';
import type { RequestState } from './state.js';

/** Serves one datagram. Never throws: every failure becomes a reply or a log line. */
export function serveDatagram<Peer>(
  ctx: RequestState,
  transport: DatagramTransport<Peer>,
  data: Uint8Array,
  peer: Peer,
  info: DatagramInfo,
  reusesBuffers: boolean,
): void {
  ctx.received++; // receive
  if (!ctx.accepting) {
    ctx.ignored++;
    return;
  }
  try {
    if (isJsonRpc(data)) {
      serveJsonRpcDatagram(ctx, transport, data, peer, info, reusesBuffers);
      return;
    }
    const head = readHead(ctx, transport, data, peer, info);
    if (head === null) return;
    const entry = lookUp(ctx, transport, peer, head);
    if (entry === null || sentCachedReply(ctx, transport, peer, entry)) return;
    const request = readRequest(ctx, transport, data, peer, head, entry, reusesBuffers);
    if (request === null) return;
    // One clock read serves the rate limit and the latency.
    const started = performance.now();
    if (!admitted(ctx, transport, entry, request, peer, started)) return; // guard
    runCommand(ctx, transport, peer, entry, request, started); // run → encode → send
  } catch (error) {
    // Only a bug of ours gets here (handlers are guarded separately).
    ctx.logger.error('internal error while serving a request', {
      peer: describePeer(peer),
      error,
    });
    sendError(ctx, transport, peer, 'INTERNAL_ERROR');
  }
}

/**
 * Classification (PROTOCOL.md 4): a datagram whose first non-blank byte is
 * `{` or `[` is JSON-RPC (PROTOCOL.md 5), decided before the size check so
 * that an oversized JSON request gets a JSON error. A legacy request starts
 * with ':', so the legacy path pays one byte comparison; nothing is parsed.
 */
function isJsonRpc(data: Uint8Array): boolean {
  return data.length !== 0 && data[0] !== 0x3a && classifyDatagram(data) === 'jsonrpc';
}
