/** Step "guard": the access decision for one request (rate limit, level, guard hook). */
import type { DatagramTransport, TransportErrorKind } from '@mi-datagram/protocol';
import type { MiRequest, RegisteredCommand } from '../commands/index.js';
import { debug } from './log.js';
import { sendError } from './send.js';
import { ServedRequest } from './served-request.js';
import type { RequestState } from './state.js';

/**
 * The access decision for one request received on `transport` (attached
 * with a policy): that listener's rate limit for the peer's source, then
 * its level against the command's, then the {@link RequestGuard}.
 * Returns the refusal (`PERMISSION_DENIED` → `403 Permission denied`,
 * `RATE_LIMITED` → `429 rate limit exceeded`; JSON-RPC: an error with that
 * code and text) or `null` to run the command. Counts refusals; allocates
 * nothing. Call it once per request, after the arguments are parsed (a
 * command's level may depend on them) and before the handler. `request`
 * may be null only for commands whose level is fixed. `now`: a
 * `performance.now()` the caller already read (the rate limit's clock).
 */
export function admit(
  ctx: RequestState,
  transport: DatagramTransport<unknown>,
  command: RegisteredCommand,
  request: MiRequest | null,
  peer: unknown,
  now?: number,
): TransportErrorKind | null {
  const access = ctx.access.get(transport);
  if (access !== undefined && request instanceof ServedRequest) request.listener = access;
  if (access?.checksRequests) {
    const refusal = access.check(command, request, peer, now);
    if (refusal !== null) {
      if (refusal === 'RATE_LIMITED') ctx.rateLimited++;
      else ctx.refused++;
      return refusal;
    }
  }
  if (ctx.guard !== null && request !== null) {
    const refusal = ctx.guard(command, request, peer);
    if (refusal !== null) {
      if (refusal === 'RATE_LIMITED') ctx.rateLimited++;
      else if (refusal === 'PERMISSION_DENIED') ctx.refused++;
      return refusal;
    }
  }
  return null;
}

/** {@link admit} for a legacy request; a refusal is answered here. True: run it. */
export function admitted<Peer>(
  ctx: RequestState,
  transport: DatagramTransport<Peer>,
  entry: RegisteredCommand,
  request: MiRequest | null,
  peer: Peer,
  now: number,
): boolean {
  const refusal = admit(ctx, transport as DatagramTransport<unknown>, entry, request, peer, now);
  if (refusal === null) return true;
  debug(ctx, 'request refused', peer, { command: entry.name, refusal });
  sendError(ctx, transport, peer, refusal);
  return false;
}
