/**
 * Reads a recording of real OpenSIPS replies (../shared/conformance/*.txt):
 * `### title` sections with `REQ (n bytes): b'...'` and `REP (n bytes):
 * b'...'` lines holding Python bytes literals.
 */
import { readFileSync } from 'node:fs';

export interface RecordedExchange {
  readonly title: string;
  readonly request: Buffer;
  readonly reply: Buffer | null;
}

/** The bytes of a Python bytes literal (`b'...'` or `b"..."`). */
export function pythonBytes(literal: string): Buffer {
  const m = /^b(['"])(.*)\1$/s.exec(literal.trim());
  if (m === null) throw new Error(`not a bytes literal: ${literal.slice(0, 40)}`);
  const body = m[2] as string;
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== '\\') {
      out.push(c.charCodeAt(0));
      continue;
    }
    const e = body[++i] as string;
    const simple: Record<string, number> = {
      n: 10,
      r: 13,
      t: 9,
      '\\': 92,
      "'": 39,
      '"': 34,
      '0': 0,
    };
    if (e === 'x') {
      out.push(Number.parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (simple[e] !== undefined) {
      out.push(simple[e] as number);
    } else {
      throw new Error(`unknown escape \\${e}`);
    }
  }
  return Buffer.from(out);
}

function tryBytes(text: string): Buffer | null {
  try {
    return pythonBytes(text);
  } catch {
    // Abbreviated in the recording (`b'...' ... (note)`): not replayable.
    return null;
  }
}

/** Every replayable exchange of a recording, keyed by its `###` title. */
export function readRecording(url: URL): Map<string, RecordedExchange> {
  const out = new Map<string, RecordedExchange>();
  let title = '';
  let request: Buffer | null = null;
  for (const line of readFileSync(url, 'latin1').split('\n')) {
    if (line.startsWith('### ')) {
      title = line.slice(4);
      request = null;
    } else if (line.startsWith('REQ')) {
      request = tryBytes(line.slice(line.indexOf(': ') + 2));
    } else if (line.startsWith('REP') && request !== null) {
      const rest = line.slice(line.indexOf(': ') + 2);
      const reply = rest === 'none' ? null : tryBytes(rest);
      if (rest === 'none' || reply !== null) out.set(title, { title, request, reply });
    }
  }
  return out;
}
