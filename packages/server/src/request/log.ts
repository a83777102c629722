/** Debug lines of the request path (written only at log level DBG). */
import type { RegisteredCommand } from '../commands/index.js';
import { LOG_LEVEL } from '../ops/index.js';
import type { RequestState } from './state.js';

/** A peer as logs show it: `/path`, `@abstract`, `127.0.0.1:5060`, `[::1]:5060`. */
export function describePeer(peer: unknown): string {
  if (peer === null) return '(unbound)';
  if (typeof peer === 'string') return peer.startsWith('\0') ? `@${peer.slice(1)}` : peer;
  if (typeof peer === 'object' && peer !== undefined) {
    const p = peer as { address?: unknown; port?: unknown; family?: unknown };
    if (typeof p.address === 'string' && typeof p.port === 'number') {
      return p.address.includes(':') ? `[${p.address}]:${p.port}` : `${p.address}:${p.port}`;
    }
  }
  return String(peer);
}

export function debug(
  ctx: RequestState,
  msg: string,
  peer: unknown,
  fields?: Record<string, unknown>,
): void {
  if (ctx.logger.level >= LOG_LEVEL.DBG) {
    ctx.logger.debug(msg, { peer: describePeer(peer), ...fields });
  }
}

/** The request line of a served request: command, peer, status line, size. */
export function debugRequest(
  ctx: RequestState,
  entry: RegisteredCommand,
  peer: unknown,
  reply: Uint8Array,
): void {
  if (ctx.logger.level < LOG_LEVEL.DBG) return;
  let end = reply.indexOf(0x0a);
  if (end < 0) end = reply.length;
  ctx.logger.debug('request', {
    command: entry.name,
    peer: describePeer(peer),
    status: Buffer.from(reply.subarray(0, end)).toString('utf8'),
    replyBytes: reply.length,
  });
}
