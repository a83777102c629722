/**
 * The request path, one datagram from receive to send (PROTOCOL.md 2–5):
 *
 * receive → classify → legacy or JSON-RPC → look up → bound → guard → params → run → encode → send
 *
 * Each step is a named function of this folder that answers its own
 * failures; a step that returns null (or false) has finished the request.
 */
import { classifyDatagram, type DatagramInfo, type DatagramTransport } from '@mi-datagram/protocol';
import { slotFor } from './busy.js';
import type { GatedRun } from './gate.js';
import { admitted } from './guard.js';
import { serveJsonRpcDatagram } from './jsonrpc-path.js';
import { lookUp, readHead, readRequest, sentCachedReply } from './legacy.js';
import { describePeer } from './log.js';
import { withLegacyParams } from './params-step.js';
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
  let run: GatedRun | null = null;
  try {
    if (isJsonRpc(data)) {
      serveJsonRpcDatagram(ctx, transport, data, peer, info, reusesBuffers);
      return;
    }
    const head = readHead(ctx, transport, data, peer, info);
    if (head === null) return;
    const entry = lookUp(ctx, transport, peer, head);
    if (entry === null) return;
    // The cached reply of `which` is the list of names: only for a request without arguments.
    if (head.bodyOffset >= data.length && sentCachedReply(ctx, transport, peer, entry)) return;
    // One clock read serves the bound, the rate limit, the deadline and the latency.
    const started = performance.now();
    // The in-flight bound, before anything is parsed (src/request/limits.ts).
    run = slotFor(ctx, transport, peer, data.length, entry, started);
    if (run === null) return;
    const parsed = readRequest(ctx, transport, data, peer, head, entry, reusesBuffers, run);
    const request =
      parsed === null || !admitted(ctx, transport, entry, parsed, peer, started) // guard
        ? null
        : withLegacyParams(ctx, transport, peer, entry, parsed); // params
    if (request === null) {
      ctx.gate.release(run); // parse error, refused or params do not match: never ran
      return;
    }
    runCommand(ctx, transport, peer, entry, request, run, started); // run → encode → send
  } catch (error) {
    if (run !== null && run.outcome === 'running') ctx.gate.release(run);
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
