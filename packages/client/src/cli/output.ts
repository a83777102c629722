import type { JsonValue } from '@mi-datagram/protocol';
import type { MiReply } from '../client-types.js';
import { phraseFor } from '../diagnose.js';
import { MiClientError } from '../errors.js';
import type { JsonRpcErrorObject, MiJsonRpcReply } from '../jsonrpc.js';
import { legacyResultJson } from './shapes.js';

/** Exit statuses of `mi` (ARCHITECTURE.md, client CLI). */
/** 130 = 128 + SIGINT: interrupted by Ctrl-C or SIGTERM while waiting. */
export const EXIT = { OK: 0, REPLY_ERROR: 1, FAILURE: 2, INTERRUPTED: 130 } as const;

export type AnyReply = MiReply | MiJsonRpcReply;

export function exitStatusOf(reply: AnyReply): number {
  if (reply.protocol === 'legacy') {
    return reply.code >= 200 && reply.code < 300 ? EXIT.OK : EXIT.REPLY_ERROR;
  }
  return reply.ok ? EXIT.OK : EXIT.REPLY_ERROR;
}

/** A reply as JSON-RPC would carry it: a result, or an error with code, message and data. */
export type Outcome =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: JsonRpcErrorObject };

/**
 * The reply to `command` in the JSON-RPC model. A legacy reply maps the way the server maps its
 * trees to JSON-RPC (PROTOCOL.md 5): 2xx → its tree as JSON (`"OK"` without nodes), anything
 * else → error `{ code, message: reason }` with the tree as `data` when there is one.
 */
export function outcomeOf(command: string, reply: AnyReply): Outcome {
  if (reply.protocol === 'jsonrpc') {
    return reply.ok ? { ok: true, result: reply.result } : { ok: false, error: reply.error };
  }
  const { code, reason, nodes } = reply;
  if (code >= 200 && code < 300) {
    return { ok: true, result: nodes.length === 0 ? 'OK' : legacyResultJson(command, nodes) };
  }
  const data: JsonValue | undefined = nodes.length === 0 ? undefined : legacyResultJson('', nodes);
  return {
    ok: false,
    error: data === undefined ? { code, message: reason } : { code, message: reason, data },
  };
}

const encoder = new TextEncoder();

/** `--json` and JSON-RPC text output: plain JSON and a newline, nothing else (`jq` reads it). */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * What one reply prints on stdout without `--json`: a legacy reply exactly as received (status
 * line, tree, and the final empty line of tree replies); a JSON-RPC result as JSON. `undefined`
 * for a JSON-RPC error (it goes to stderr: {@link errorLine}).
 */
export function replyText(reply: AnyReply): Uint8Array | undefined {
  if (reply.protocol === 'legacy') {
    const raw = reply.raw;
    // A line reply always ends with \n; be safe with servers that omit it (OpenSIPS 3's).
    if (raw.length > 0 && raw[raw.length - 1] === 0x0a) return raw;
    const copy = new Uint8Array(raw.length + 1);
    copy.set(raw);
    copy[raw.length] = 0x0a;
    return copy;
  }
  return reply.ok ? encoder.encode(jsonText(reply.result)) : undefined;
}

/** One line (no newline) for stderr: an error reply's code, message and data, naming the target. */
export function errorLine(target: string, error: JsonRpcErrorObject): string {
  const data =
    error.data === undefined
      ? ''
      : ` (${typeof error.data === 'string' ? error.data : JSON.stringify(error.data)})`;
  return `${target}: error ${error.code}: ${error.message}${data}`.replaceAll('\n', ' ');
}

/** One line (no newline) for stderr describing why a call failed, naming its target. */
export function failureLine(target: string, error: unknown, timeout: number): string {
  if (error instanceof MiClientError) {
    switch (error.code) {
      case 'ABORTED':
        return `${target}: interrupted`;
      case 'TIMEOUT':
        return `${target}: no reply within ${timeout} ms (nothing answering)`;
      case 'TRANSPORT': {
        if (error.errno === undefined) return `${target}: ${error.message}`;
        const hint = error.errno === 'ENOENT' ? ' (is the server running?)' : '';
        return `${target}: ${phraseFor(error.errno)}${hint}`;
      }
      default:
        return `${target}: ${error.message.replaceAll('\n', ' ')}`;
    }
  }
  const text = error instanceof Error ? error.message : String(error);
  return `${target}: ${text.replaceAll('\n', ' ')}`;
}

/** The JSON form of a failure for `--json` with several targets. */
export function failureJson(error: unknown): unknown {
  if (error instanceof MiClientError) {
    return {
      code: error.code,
      message: error.message,
      ...(error.errno === undefined ? {} : { errno: error.errno }),
    };
  }
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}
