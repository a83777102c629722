/**
 * Reads ../shared/conformance/replies-opensips-3.6.txt: what a real
 * OpenSIPS 3.6.8 answered over JSON-RPC. `### title`, then `REQ (N bytes):`
 * and `REP (N bytes):` lines holding Python bytes literals, or `REP: none`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const RECORDING_36 = fileURLToPath(
  new URL('../../../../../shared/conformance/replies-opensips-3.6.txt', import.meta.url),
);

export interface Exchange36 {
  readonly title: string;
  /** `null`: the literal is abridged in the recording (`... (comment)`). */
  readonly request: Buffer | null;
  /** `null`: no reply came back. */
  readonly reply: Buffer | null;
}

const ESCAPES: Readonly<Record<string, number>> = {
  n: 10,
  t: 9,
  r: 13,
  '0': 0,
  '\\': 92,
  "'": 39,
  '"': 34,
};

/** Decodes a whole Python literal `b'…'` / `b"…"`; `null` when the line holds more (abridged). */
function pythonBytes(literal: string): Buffer | null {
  const quote = literal[1];
  if (literal[0] !== 'b' || (quote !== "'" && quote !== '"')) {
    throw new Error(`not a bytes literal: ${literal.slice(0, 40)}`);
  }
  const out: number[] = [];
  let i = 2;
  for (; i < literal.length; i++) {
    const ch = literal[i] as string;
    if (ch === quote) break;
    if (ch !== '\\') {
      out.push(ch.charCodeAt(0));
      continue;
    }
    const next = literal[i + 1] ?? '';
    if (next === 'x') {
      out.push(Number.parseInt(literal.slice(i + 2, i + 4), 16));
      i += 3;
    } else if (next in ESCAPES) {
      out.push(ESCAPES[next] ?? 0);
      i += 1;
    } else {
      throw new Error(`unknown escape \\${next}`);
    }
  }
  return i === literal.length - 1 ? Buffer.from(out) : null;
}

export function loadExchanges36(): Exchange36[] {
  const out: Exchange36[] = [];
  let title = '';
  let request: Buffer | null | undefined;
  for (const line of readFileSync(RECORDING_36, 'latin1').split('\n')) {
    if (line.startsWith('### ')) {
      title = line.slice(4);
      request = undefined;
      continue;
    }
    const req = /^REQ \((\d+) bytes\): (.*)$/.exec(line);
    if (req !== null) {
      request = pythonBytes(req[2] ?? '');
      if (request !== null && request.length !== Number(req[1])) {
        throw new Error(`${title}: REQ is ${request.length} bytes, the header says ${req[1]}`);
      }
      continue;
    }
    if (request === undefined) continue;
    if (line === 'REP: none') {
      out.push({ title, request, reply: null });
      request = undefined;
      continue;
    }
    const rep = /^REP \((\d+) bytes\): (.*)$/.exec(line);
    if (rep !== null) {
      const reply = pythonBytes(rep[2] ?? '');
      if (reply === null || reply.length !== Number(rep[1])) {
        throw new Error(`${title}: REP does not match its header`);
      }
      out.push({ title, request, reply });
      request = undefined;
    }
  }
  return out;
}
