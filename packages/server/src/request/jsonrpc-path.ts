/**
 * The JSON-RPC branch of the request path (PROTOCOL.md 5): the same
 * registry, guard and handlers as the legacy path (src/request/jsonrpc.ts
 * runs them); the reply is always JSON, nothing for notifications.
 */
import {
  type DatagramInfo,
  type DatagramTransport,
  parseJsonRpcDatagram,
} from '@mi-datagram/protocol';
import { admit } from './guard.js';
import { serveParsedJsonRpc } from './jsonrpc.js';
import { rememberConstantResult, sentConstantResult } from './jsonrpc-constant.js';
import { describePeer } from './log.js';
import { sendJsonRpc } from './send.js';
import type { RequestState } from './state.js';

export function serveJsonRpcDatagram<Peer>(
  ctx: RequestState,
  transport: DatagramTransport<Peer>,
  data: Uint8Array,
  peer: Peer,
  info: DatagramInfo,
  reusesBuffers: boolean,
): void {
  // Never throws: a refused datagram is a value carrying its error response.
  const parsed = parseJsonRpcDatagram(data, { truncated: info.truncated });
  if (
    parsed.kind === 'single' &&
    parsed.item.ok &&
    sentConstantResult(ctx, transport, peer, parsed.item.request)
  ) {
    return;
  }
  const reply = serveParsedJsonRpc(
    {
      registry: ctx.registry,
      logger: ctx.logger,
      // Same access decision as legacy requests (rate limit, level, guard).
      guard: (entry, request) =>
        admit(ctx, transport as DatagramTransport<unknown>, entry, request, peer),
      // Same in-flight bound and deadlines; each batch item counts.
      gate: ctx.gate,
      peer,
      describePeer: () => describePeer(peer),
      onCall: (command, startedMs) => ctx.metrics.recordCall(command, startedMs),
      // Replies are counted by outcome here, not by their first byte (send.ts).
      onResponse: (errorCode) => ctx.metrics.countJsonRpc(errorCode),
      shared: ctx.shared,
      onConstantResult: (entry, result, key) => rememberConstantResult(ctx, entry, result, key),
    },
    parsed,
    // Handlers may keep `request.datagram` past this call.
    reusesBuffers ? data.slice() : data,
  );
  if (!(reply instanceof Promise)) {
    sendJsonRpc(ctx, transport, peer, reply);
    return;
  }
  ctx.started();
  void reply.then((bytes) => {
    ctx.settled();
    sendJsonRpc(ctx, transport, peer, bytes);
  });
}
