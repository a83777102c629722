/**
 * Reads the replies a real OpenSIPS 2.4.11 sent (../shared/conformance/replies-opensips-2.4.txt,
 * the `shared` checkout beside the repository). REQ/REP lines hold Python bytes literals.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pythonBytes } from '@mi-datagram/test-helpers';

const conformance = (name: string): string =>
  fileURLToPath(new URL(`../../../../../shared/conformance/${name}`, import.meta.url));

export const RECORDED_REPLIES = conformance('replies-opensips-2.4.txt');
/** The JSON-RPC exchanges of a real OpenSIPS 3.6.8 (same file format). */
export const RECORDED_REPLIES_36 = conformance('replies-opensips-3.6.txt');

export interface RecordedExchange {
  readonly title: string;
  readonly request: Buffer;
  readonly reply: Buffer;
  /** Where the `(N bytes)` header disagrees with its literal: `REQ`/`REP` and the header's N. */
  readonly sizeMismatch?: { readonly kind: string; readonly declared: number };
}

/** Every complete REQ → REP pair (abridged datagrams and `<no reply>` left out). */
export function loadRecordedExchanges(file = RECORDED_REPLIES): RecordedExchange[] {
  const lines = readFileSync(file, 'latin1').split('\n');
  const out: RecordedExchange[] = [];
  let title = '';
  let request: Buffer | undefined;
  let mismatch: RecordedExchange['sizeMismatch'];
  for (const line of lines) {
    const head = /^(REQ|REP) \((\d+|-) bytes\): (.*)$/.exec(line);
    if (line.startsWith('### ')) {
      title = line.slice(4);
      request = undefined;
      mismatch = undefined;
    }
    if (head === null) continue;
    const [, kind, size, literal = ''] = head;
    // Abridged datagrams (`b'…' ... (note)` or `… (abridged)`) are left out.
    const complete = /^b(['"])[\s\S]*\1$/.test(literal) && !literal.endsWith('(abridged)');
    const bytes = complete ? pythonBytes(literal) : undefined;
    // The literal is the data; a wrong header is recorded (and asserted on by the tests).
    if (bytes !== undefined && bytes.length !== Number(size)) {
      mismatch = { kind: kind ?? '', declared: Number(size) };
    }
    if (kind === 'REQ') request = bytes;
    else if (request !== undefined && bytes !== undefined) {
      out.push({
        title,
        request,
        reply: bytes,
        ...(mismatch === undefined ? {} : { sizeMismatch: mismatch }),
      });
    }
    if (kind === 'REP') mismatch = undefined;
  }
  return out;
}
