/**
 * Step "params" of the legacy path (docs/commands.md): a command that
 * declares parameters gets its arguments matched against its recipes,
 * checked and converted; a call that does not fit is answered here
 * (`400 Too few or too many arguments`, `400 Bad parameter`) and its
 * handler never runs. The JSON-RPC path does the same in jsonrpc.ts.
 */
import type { DatagramTransport } from '@mi-datagram/protocol';
import { matchLegacyArgs, type RegisteredCommand } from '../commands/index.js';
import { sendFailure } from './encode.js';
import { debug } from './log.js';
import type { ServedRequest } from './served-request.js';
import type { RequestState } from './state.js';

/** The request with its `params`, or null when the refusal was sent. */
export function withLegacyParams<Peer>(
  ctx: RequestState,
  transport: DatagramTransport<Peer>,
  peer: Peer,
  entry: RegisteredCommand,
  request: ServedRequest,
): ServedRequest | null {
  const declared = entry.params;
  // `noInput` commands never read their arguments (PROTOCOL.md 2.2).
  if (declared === null || entry.noInput) return request;
  const matched = matchLegacyArgs(declared, request.args);
  if (matched.ok) return request.matched(matched.params, matched.recipe);
  debug(ctx, 'parameters do not match', peer, {
    command: entry.name,
    reason: matched.error.detail,
  });
  sendFailure(ctx, transport, peer, entry, matched.error);
  return null;
}
