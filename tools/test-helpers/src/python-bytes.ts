/**
 * Python bytes literals (`b'...'`, `b"..."`), the form in which the recordings
 * of real OpenSIPS servers (the shared conformance files) hold exact datagrams.
 */

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
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

/**
 * Decodes the bytes literal that starts at `text[start]`. Returns its bytes
 * and the index after its closing quote.
 *
 * @throws Error when no bytes literal starts there, it is not terminated, or
 *   it holds an escape Python would not write.
 */
export function readPythonBytes(text: string, start = 0): { bytes: Buffer; end: number } {
  const quote = text[start + 1];
  if (text[start] !== 'b' || (quote !== "'" && quote !== '"')) {
    throw new Error(`not a bytes literal at ${start}: ${text.slice(start, start + 40)}`);
  }
  const out: number[] = [];
  let i = start + 2;
  for (;;) {
    const ch = text[i];
    if (ch === undefined) throw new Error('unterminated bytes literal');
    if (ch === quote) return { bytes: Buffer.from(out), end: i + 1 };
    if (ch !== '\\') {
      out.push(ch.charCodeAt(0));
      i++;
      continue;
    }
    const esc = text[i + 1] ?? '';
    if (esc === 'x') {
      out.push(Number.parseInt(text.slice(i + 2, i + 4), 16));
      i += 4;
    } else if (esc in SIMPLE_ESCAPES) {
      out.push(SIMPLE_ESCAPES[esc] ?? 0);
      i += 2;
    } else {
      throw new Error(`unknown escape \\${esc}`);
    }
  }
}

/** The bytes of a literal that makes up all of `literal` (surrounding blanks aside). */
export function pythonBytes(literal: string): Buffer {
  const text = literal.trim();
  const { bytes, end } = readPythonBytes(text);
  if (end !== text.length)
    throw new Error(`more after the bytes literal: ${text.slice(end, end + 40)}`);
  return bytes;
}
