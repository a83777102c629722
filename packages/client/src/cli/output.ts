import type { MiNode } from '@mi-datagram/protocol';
import type { MiReply } from '../client.js';
import { phraseFor } from '../diagnose.js';
import { MiClientError } from '../errors.js';
import type { MiJsonRpcReply } from '../jsonrpc.js';

/** Exit statuses of `mi` (ARCHITECTURE.md, client CLI). */
/** 130 = 128 + SIGINT: interrupted by Ctrl-C or SIGTERM while waiting. */
export const EXIT = { OK: 0, REPLY_ERROR: 1, FAILURE: 2, INTERRUPTED: 130 } as const;

export type AnyReply =
  | { readonly protocol: 'legacy'; readonly reply: MiReply }
  | { readonly protocol: 'jsonrpc'; readonly reply: MiJsonRpcReply };

export function exitStatusOf(result: AnyReply): number {
  if (result.protocol === 'legacy') {
    return result.reply.code >= 200 && result.reply.code < 300 ? EXIT.OK : EXIT.REPLY_ERROR;
  }
  return result.reply.ok ? EXIT.OK : EXIT.REPLY_ERROR;
}

const encoder = new TextEncoder();

/**
 * The reply as text. Legacy: the datagram exactly as received (status line, tree, and the final
 * empty line of tree replies). JSON-RPC: a status line, then the result as indented JSON.
 */
export function replyText(result: AnyReply): Uint8Array {
  if (result.protocol === 'legacy') {
    const raw = result.reply.raw;
    // A line reply always ends with \n; be safe with servers that omit it.
    if (raw.length > 0 && raw[raw.length - 1] === 0x0a) return raw;
    const copy = new Uint8Array(raw.length + 1);
    copy.set(raw);
    copy[raw.length] = 0x0a;
    return copy;
  }
  const reply = result.reply;
  if (reply.ok) {
    const body = reply.result === undefined ? '' : `${JSON.stringify(reply.result, null, 2)}\n`;
    return encoder.encode(`200 OK\n${body}`);
  }
  const data =
    reply.error.data === undefined ? '' : `${JSON.stringify(reply.error.data, null, 2)}\n`;
  return encoder.encode(`${reply.error.code} ${reply.error.message}\n${data}`);
}

interface JsonNode {
  name: string | null;
  value: string | null;
  attributes: Array<[string, string]>;
  children: JsonNode[];
}

function jsonNode(node: MiNode): JsonNode {
  return {
    name: node.name ?? null,
    value: node.value ?? null,
    attributes: (node.attributes ?? []).map(([name, value]): [string, string] => [name, value]),
    children: (node.children ?? []).map(jsonNode),
  };
}

/** The parsed reply as a JSON-ready value (`--json`). */
export function replyJson(result: AnyReply): unknown {
  if (result.protocol === 'legacy') {
    const { code, reason, form, nodes } = result.reply;
    return { code, reason, form, nodes: nodes.map(jsonNode) };
  }
  const reply = result.reply;
  return reply.ok
    ? { jsonrpc: '2.0', result: reply.result, id: reply.id }
    : { jsonrpc: '2.0', error: reply.error, id: reply.id };
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
