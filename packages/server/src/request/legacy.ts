/**
 * The legacy steps of the request path (PROTOCOL.md 2–4): first line, look
 * up, the cached reply of a constant command, arguments. Each step answers
 * a failure itself and returns null (or false) to stop the request.
 */
import {
  type DatagramInfo,
  type DatagramTransport,
  isMiProtocolError,
  MAX_DATAGRAM_SIZE,
  type MiArgument,
  parseArguments,
  parseRequestHead,
  type RequestHead,
} from '@mi-datagram/protocol';
import type { RegisteredCommand } from '../commands/index.js';
import type { HandlerRun } from './deadline.js';
import { admitted } from './guard.js';
import { debug, debugRequest } from './log.js';
import { send, sendError } from './send.js';
import { ServedRequest } from './served-request.js';
import { currentReply, type RequestState } from './state.js';

const EMPTY_ARGS: readonly MiArgument[] = Object.freeze([]);

/** Size checks and the first line (`:command:`); null when answered (or not to be). */
export function readHead<Peer>(
  ctx: RequestState,
  transport: DatagramTransport<Peer>,
  data: Uint8Array,
  peer: Peer,
  info: DatagramInfo,
): RequestHead | null {
  const length = data.length;
  // PROTOCOL.md 4: a truncated or oversized request is refused, never parsed.
  if (info.truncated || length > MAX_DATAGRAM_SIZE) {
    debug(ctx, 'request too large', peer, { bytes: length, truncated: info.truncated });
    sendError(ctx, transport, peer, 'REQUEST_TOO_LARGE');
    return null;
  }
  if (length === 0) {
    // PROTOCOL.md 4: an empty datagram gets no reply (as the original).
    ctx.noReply++;
    debug(ctx, 'empty datagram, no reply', peer);
    return null;
  }
  try {
    return parseRequestHead(data);
  } catch (error) {
    protocolError(ctx, transport, peer, error);
    return null;
  }
}

/** The registered command of the first line; `500 command not available` when none. */
export function lookUp<Peer>(
  ctx: RequestState,
  transport: DatagramTransport<Peer>,
  peer: Peer,
  head: RequestHead,
): RegisteredCommand | null {
  const entry = ctx.registry.get(head.command);
  if (entry !== undefined) return entry;
  debug(ctx, 'unknown command', peer, { command: head.command });
  sendError(ctx, transport, peer, 'NOT_AVAILABLE');
  return null;
}

/**
 * A `constantReply` command (core `version`, `which`, `ps`) whose reply is
 * cached for this registry generation and reply version: admitted (its level is fixed, no request is
 * needed) and answered from the cache. False: serve it the ordinary way.
 */
export function sentCachedReply<Peer>(
  ctx: RequestState,
  transport: DatagramTransport<Peer>,
  peer: Peer,
  entry: RegisteredCommand,
): boolean {
  if (!entry.constantReply || ctx.guard !== null) return false;
  const bytes = currentReply(ctx, ctx.constantReplies, entry);
  if (bytes === null) return false;
  // One clock read serves the rate limit and the latency.
  const started = performance.now();
  if (!admitted(ctx, transport, entry, null, peer, started)) return true;
  send(ctx, transport, peer, bytes);
  ctx.metrics.recordCall(entry.name, started);
  debugRequest(ctx, entry, peer, bytes);
  return true;
}

/** The request a handler sees: arguments parsed unless `noInput`; null when answered. */
export function readRequest<Peer>(
  ctx: RequestState,
  transport: DatagramTransport<Peer>,
  data: Uint8Array,
  peer: Peer,
  head: RequestHead,
  entry: RegisteredCommand,
  reusesBuffers: boolean,
  run: HandlerRun,
): ServedRequest | null {
  // The handler may keep the request (and lazily decoded arguments) past this
  // call: copy a datagram that lives in a buffer the transport reuses.
  const datagram = reusesBuffers && entry.module !== 'core' ? data.slice() : data;
  let args: readonly MiArgument[] = EMPTY_ARGS;
  if (!entry.noInput) {
    try {
      args = parseArguments(datagram, head.bodyOffset);
    } catch (error) {
      protocolError(ctx, transport, peer, error);
      return null;
    }
  }
  return new ServedRequest(head.command, args, datagram, run, 'legacy', ctx.shared);
}

/** A codec error as its transport error line (an empty datagram: no reply). */
function protocolError<Peer>(
  ctx: RequestState,
  transport: DatagramTransport<Peer>,
  peer: Peer,
  error: unknown,
): void {
  if (!isMiProtocolError(error)) throw error;
  switch (error.code) {
    case 'EMPTY_DATAGRAM':
      ctx.noReply++;
      return;
    case 'REQUEST_TOO_LARGE':
      sendError(ctx, transport, peer, 'REQUEST_TOO_LARGE');
      return;
    case 'NOT_AVAILABLE':
      debug(ctx, 'bad first line', peer, { offset: error.offset });
      sendError(ctx, transport, peer, 'NOT_AVAILABLE');
      return;
    case 'PARSE_ERROR':
      debug(ctx, 'parse error', peer, { offset: error.offset, reason: error.message });
      sendError(ctx, transport, peer, 'PARSE_ERROR');
      return;
    default:
      throw error;
  }
}
