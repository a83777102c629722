/**
 * Reads ../shared/conformance/replies-opensips-3.6.txt: what a real
 * OpenSIPS 3.6.8 answered over JSON-RPC. `### title`, then `REQ (N bytes):`
 * and `REP (N bytes):` lines holding Python bytes literals, or `REP: none`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readPythonBytes } from '@mi-datagram/test-helpers';

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
      request = wholeOrNull(req[2] ?? '');
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
      const reply = wholeOrNull(rep[2] ?? '');
      if (reply === null || reply.length !== Number(rep[1])) {
        throw new Error(`${title}: REP does not match its header`);
      }
      out.push({ title, request, reply });
      request = undefined;
    }
  }
  return out;
}

/** The bytes of a literal that is all of `text`; `null` when more follows it (an abridged datagram). */
function wholeOrNull(text: string): Buffer | null {
  const { bytes, end } = readPythonBytes(text);
  return end === text.length ? bytes : null;
}
