/**
 * Event datagrams (what a subscriber socket receives when an event is
 * raised), in the two formats of the original (PROTOCOL.md, events):
 *
 * - `json` (OpenSIPS 3): a JSON-RPC 2.0 notification, compact, no newline:
 *   `{"jsonrpc":"2.0","method":NAME,"params":P}`. `P` is an object when the
 *   first parameter has a name, an array when it has none; absent when there
 *   are no parameters.
 * - `text` (OpenSIPS 2.4): `NAME\n`, one line per parameter
 *   (`name::value\n` or `value\n`), then one more `\n`. A string holding a
 *   newline is written in double quotes with each `"` preceded by a
 *   backslash; other strings are copied as they are; integers are written as
 *   the original's unsigned 64-bit numbers (`-7` → `18446744073709551609`).
 *
 * Pure: no Node.js APIs.
 */
import { encodeUtf8 } from '../legacy/text.js';

/** One parameter of a raised event: `name` null for a positional one. */
export interface EventParam {
  readonly name: string | null;
  readonly value: string | number;
}

/** The two datagram formats. */
export type EventFormat = 'json' | 'text';

export const EVENT_FORMATS: readonly EventFormat[] = ['json', 'text'];

/** Integers as JSON numbers; other numbers (not integers, not finite) as their text. */
function jsonValue(value: string | number): string {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? String(Math.trunc(value)) : JSON.stringify(String(value));
  }
  return JSON.stringify(value);
}

/** The text of the `json` datagram of an event. */
export function eventJsonText(name: string, params: readonly EventParam[]): string {
  let text = `{"jsonrpc":"2.0","method":${JSON.stringify(name)}`;
  const first = params[0];
  if (first !== undefined) {
    if (first.name !== null) {
      const members = params.map((p) => `${JSON.stringify(p.name ?? '')}:${jsonValue(p.value)}`);
      text += `,"params":{${members.join(',')}}`;
    } else {
      text += `,"params":[${params.map((p) => jsonValue(p.value)).join(',')}]`;
    }
  }
  return `${text}}`;
}

const UINT64 = 1n << 64n;

function textValue(value: string | number): string {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return String(Math.trunc(value));
    const n = BigInt(value);
    return String(n < 0n ? ((n % UINT64) + UINT64) % UINT64 : n);
  }
  return value.includes('\n') ? `"${value.replaceAll('"', '\\"')}"` : value;
}

/** The text of the `text` (2.4) datagram of an event. */
export function eventTextText(name: string, params: readonly EventParam[]): string {
  let text = `${name}\n`;
  for (const p of params) {
    text += p.name === null ? `${textValue(p.value)}\n` : `${p.name}::${textValue(p.value)}\n`;
  }
  return `${text}\n`;
}

/** The bytes of an event datagram in `format`. */
export function encodeEventDatagram(
  format: EventFormat,
  name: string,
  params: readonly EventParam[],
): Uint8Array {
  return encodeUtf8(format === 'json' ? eventJsonText(name, params) : eventTextText(name, params));
}

/** A received event datagram, decoded. */
export interface ParsedEvent {
  readonly format: EventFormat;
  readonly event: string;
  /** `json`: the `params` member as sent (object, array or absent); `text`: the lines. */
  readonly params: unknown;
}

/**
 * Reads an event datagram of either format (for subscribers: the `mi
 * subscribe` client). Returns null for bytes that are neither.
 */
export function parseEventDatagram(text: string): ParsedEvent | null {
  if (text.startsWith('{')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return null;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
    const record = value as Record<string, unknown>;
    if (record.jsonrpc !== '2.0' || typeof record.method !== 'string') return null;
    return { format: 'json', event: record.method, params: record.params };
  }
  const nl = text.indexOf('\n');
  if (nl <= 0 || !text.endsWith('\n\n')) return null;
  const event = text.slice(0, nl);
  const params: { name: string | null; value: string }[] = [];
  let at = nl + 1;
  const end = text.length - 1;
  while (at < end) {
    const lineEnd = text.indexOf('\n', at);
    let line = text.slice(at, lineEnd);
    let name: string | null = null;
    const sep = line.indexOf('::');
    if (sep >= 0 && !line.startsWith('"')) {
      name = line.slice(0, sep);
      line = line.slice(sep + 2);
    }
    const valueStart = at + (name === null ? 0 : name.length + 2);
    if (line.startsWith('"')) {
      // A quoted value holding newlines: up to the `"` that ends a line.
      let close = valueStart + 1;
      for (;;) {
        const q = text.indexOf('"\n', close);
        if (q < 0) return null;
        if (text[q - 1] !== '\\') {
          params.push({ name, value: text.slice(valueStart + 1, q).replaceAll('\\"', '"') });
          at = q + 2;
          break;
        }
        close = q + 1;
      }
      continue;
    }
    params.push({ name, value: line });
    at = lineEnd + 1;
  }
  return { format: 'text', event, params };
}
