/** Step "bound": a slot of the in-flight bound for one legacy request, or `503 server busy`. */
import type { DatagramTransport } from '@mi-datagram/protocol';
import type { RegisteredCommand } from '../commands/index.js';
import type { GatedRun } from './gate.js';
import { debug } from './log.js';
import { sendError } from './send.js';
import type { RequestState } from './state.js';

/**
 * Charges the request (`bytes`: its datagram) to the bound of its source
 * and budget (src/request/limits.ts). Null when there is no room: the
 * request is answered `503 server busy` here and must not run.
 */
export function slotFor<Peer>(
  ctx: RequestState,
  transport: DatagramTransport<Peer>,
  peer: Peer,
  bytes: number,
  entry: RegisteredCommand,
  started: number,
): GatedRun | null {
  const run = ctx.gate.admit(peer, bytes, entry, started);
  if (run !== null) return run;
  debug(ctx, 'server busy', peer, { command: entry.name });
  sendError(ctx, transport, peer, 'SERVER_BUSY');
  return null;
}
