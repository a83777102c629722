/// <reference types="node" />
/**
 * Loads the shared conformance data (../../../../shared/conformance, the
 * `shared` checkout beside the repository). Independent of the code under
 * test: bytes come from the files, not from our encoders.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SHARED = fileURLToPath(new URL('../../../../../shared/', import.meta.url));

export type ExpectedArg = { name: string | null; value: string | null };
export type RequestExpectation =
  | { ok: true; command: string; args: ExpectedArg[] }
  | { ok: false; error: 'not_available' | 'parse_error' | 'too_large' | 'no_reply' };
export interface RequestVector {
  id: string;
  desc: string;
  request_b64: string;
  expect: RequestExpectation;
  c_bug?: string[];
}

export function loadRequestVectors(): RequestVector[] {
  const text = readFileSync(`${SHARED}conformance/requests.jsonl`, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as RequestVector);
}

/** Latin1 string (code point U+00NN = byte 0xNN) to bytes, as the vectors' README says. */
export function latin1(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

/** Bytes to a latin1 string, for readable comparisons. */
export function toLatin1(b: Uint8Array | null): string | null {
  return b === null ? null : Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
}

/**
 * Decodes one Python bytes literal (`b'...'` or `b"..."`) starting at
 * `text[start]`. Returns the bytes and the index after the closing quote.
 */
export function pythonBytes(text: string, start: number): { bytes: Uint8Array; end: number } {
  if (text[start] !== 'b') throw new Error(`not a bytes literal at ${start}`);
  const quote = text[start + 1];
  if (quote !== "'" && quote !== '"') throw new Error(`not a bytes literal at ${start}`);
  const out: number[] = [];
  let i = start + 2;
  for (;;) {
    const ch = text[i];
    if (ch === undefined) throw new Error('unterminated bytes literal');
    if (ch === quote) return { bytes: Uint8Array.from(out), end: i + 1 };
    if (ch !== '\\') {
      out.push(ch.charCodeAt(0));
      i++;
      continue;
    }
    const e = text[i + 1];
    const simple: Record<string, number> = {
      '\\': 0x5c,
      "'": 0x27,
      '"': 0x22,
      n: 0x0a,
      r: 0x0d,
      t: 0x09,
      a: 0x07,
      b: 0x08,
      f: 0x0c,
      v: 0x0b,
      '0': 0x00,
    };
    if (e === 'x') {
      out.push(Number.parseInt(text.slice(i + 2, i + 4), 16));
      i += 4;
    } else if (e !== undefined && e in simple) {
      out.push(simple[e]!);
      i += 2;
    } else {
      throw new Error(`unknown escape \\${e} at ${i}`);
    }
  }
}

/**
 * Known mistakes in the file's `(n bytes)` headers: the literal is the
 * datagram, the declared count is not (checked with Python's ast.literal_eval).
 */
export const DECLARED_LENGTH_ERRATA: readonly {
  title: string;
  declared: number;
  actual: number;
}[] = [{ title: 'core: arg', declared: 113, actual: 100 }];

export interface ReplyCase {
  title: string;
  transport: string;
  request: Uint8Array;
  /** `null`: the server sent no reply. */
  reply: Uint8Array | null;
}

/**
 * Parses replies-opensips-2.4.txt: `### title`, `REQ (n bytes): b'...'`,
 * `REP (n bytes): b'...'` or `<no reply>`. Abridged datagrams
 * (`b'..' ... b'..' (abridged)`) are skipped.
 */
export function loadReplyCases(): ReplyCase[] {
  const text = readFileSync(`${SHARED}conformance/replies-opensips-2.4.txt`, 'latin1');
  const cases: ReplyCase[] = [];
  let transport = '';
  let title = '';
  let request: Uint8Array | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('TRANSPORT: ')) transport = line.slice(11).split(' ')[0]!;
    else if (line.startsWith('### ')) {
      title = line.slice(4);
      request = null;
    } else if (line.startsWith('REQ ') || line.startsWith('REP ')) {
      const colon = line.indexOf('): ') + 3;
      const abridged = line.endsWith('(abridged)');
      let bytes: Uint8Array | null = null;
      if (line.slice(colon) !== '<no reply>') {
        const lit = pythonBytes(line, colon);
        bytes = lit.bytes;
        const declared = Number(line.slice(5, line.indexOf(' bytes')));
        const erratum = DECLARED_LENGTH_ERRATA.find(
          (x) => x.title === title && x.declared === declared && x.actual === bytes?.length,
        );
        if (!abridged && declared !== bytes.length && erratum === undefined) {
          throw new Error(`length mismatch in ${title}: ${declared} != ${bytes.length}`);
        }
      }
      if (line.startsWith('REQ ')) request = abridged ? null : bytes;
      else if (request !== null && !abridged) {
        cases.push({ title, transport, request, reply: bytes });
      }
    }
  }
  return cases;
}

/** One datagram line of events-opensips.txt. */
export interface EventsLine {
  readonly title: string;
  readonly kind: 'REQ' | 'REP' | 'EVENT';
  readonly bytes: Uint8Array;
}

/** Every REQ/REP/EVENT line of events-opensips.txt, in order, lengths checked. */
export function loadEventsRecording(): EventsLine[] {
  const text = readFileSync(`${SHARED}conformance/events-opensips.txt`, 'latin1');
  const lines: EventsLine[] = [];
  let title = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('### ')) title = line.slice(4);
    const kind = /^(REQ|REP|EVENT) \((\d+) bytes\): /.exec(line);
    if (kind === null) continue;
    const { bytes } = pythonBytes(line, kind[0].length);
    if (bytes.length !== Number(kind[2])) throw new Error(`length mismatch in ${title}`);
    lines.push({ title, kind: kind[1] as EventsLine['kind'], bytes });
  }
  return lines;
}
