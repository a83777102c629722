/** What a reply datagram means for the call that receives it. */
import { parseReply } from '@mi-datagram/protocol';
import type { MiReply } from './client-types.js';
import { MiClientError } from './errors.js';
import { type MiJsonRpcReply, parseJsonRpcResponse } from './jsonrpc.js';

export function badReply(target: string, message: string, cause?: unknown): MiClientError {
  return new MiClientError('BAD_REPLY', message, {
    target,
    ...(cause === undefined ? {} : { cause }),
  });
}

const SIGNATURE = new TextEncoder().encode('400 Parse_error');

/**
 * `400 Parse_error`, with or without a newline: what OpenSIPS 3.x answers to anything that is not
 * JSON, legacy text requests included (PROTOCOL.md 5; conformance/replies-opensips-3.6.txt).
 * OpenSIPS 2.x and mi-datagram spell their parse error `400 parse_error\n`, and never send it for
 * a request this client encoded.
 */
export function isOpenSips3Signature(data: Uint8Array): boolean {
  const length = data[data.length - 1] === 0x0a ? data.length - 1 : data.length;
  if (length !== SIGNATURE.length) return false;
  for (let i = 0; i < length; i++) if (data[i] !== SIGNATURE[i]) return false;
  return true;
}

/** `true` for the legacy reading of OpenSIPS 3's answer to a legacy request. */
export function isOpenSips3Reply(reply: MiReply): boolean {
  return reply.form === 'line' && reply.code === 400 && reply.reason === 'Parse_error';
}

export function interpretLegacy(
  target: string,
  data: Uint8Array,
  truncated: boolean,
): MiReply | MiClientError {
  if (truncated) return badReply(target, 'reply truncated (larger than a datagram)');
  if (isOpenSips3Signature(data)) {
    // No final newline, so not a well-formed line reply; read as one all the same.
    return {
      protocol: 'legacy',
      code: 400,
      reason: 'Parse_error',
      nodes: [],
      form: 'line',
      raw: new Uint8Array(data),
    };
  }
  try {
    // Parsed from the transport's view (outside the V8 heap: decoding needs no copy of its own);
    // `raw` is a copy the reply owns.
    const parsed = parseReply(data);
    return {
      protocol: 'legacy',
      code: parsed.code,
      reason: parsed.reason,
      nodes: parsed.nodes,
      form: parsed.form,
      raw: new Uint8Array(data),
    };
  } catch (error) {
    const hint = data[0] === 0x7b ? ' (looks like JSON-RPC: is this an OpenSIPS 3.x server?)' : '';
    return badReply(target, `unreadable reply${hint}`, error);
  }
}

/** `null`: a reply to another id, ignored. */
export function interpretJsonRpc(
  target: string,
  id: number,
  data: Uint8Array,
  truncated: boolean,
): MiJsonRpcReply | MiClientError | null {
  if (truncated) return badReply(target, 'reply truncated (larger than a datagram)');
  // The reply keeps the bytes as `raw`: a copy, not the transport's view.
  const outcome = parseJsonRpcResponse(new Uint8Array(data), id);
  if (outcome.kind === 'foreign') return null;
  if (outcome.kind === 'invalid') {
    return badReply(target, `unreadable JSON-RPC reply: ${outcome.reason}`);
  }
  return outcome.reply;
}
