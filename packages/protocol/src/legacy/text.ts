/**
 * UTF-8 helpers. The package compiles with `lib: ["ES2023"]` and `types: []`,
 * so the WHATWG `TextEncoder`/`TextDecoder` globals (present in every runtime
 * we support: Node >= 20, browsers, Deno, Bun) are declared here, locally to
 * this module, with only the members we use. Nothing global is augmented.
 */

interface Utf8Decoder {
  decode(input: Uint8Array): string;
}
interface Utf8Encoder {
  encode(input: string): Uint8Array;
  encodeInto(input: string, target: Uint8Array): { read: number; written: number };
}
declare const TextDecoder: new (
  label: 'utf-8',
  options: { readonly fatal: boolean; readonly ignoreBOM: boolean },
) => Utf8Decoder;
declare const TextEncoder: new () => Utf8Encoder;

// Both are stateless when used without `stream: true`: sharing one instance is
// not shared mutable state. `ignoreBOM: true` keeps a leading EF BB BF as
// U+FEFF instead of silently dropping it (bytes are bytes, PROTOCOL.md 2.3).
const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const encoder = new TextEncoder();

/** Longest run decoded with a JS loop instead of a call into TextDecoder. */
const SHORT_ASCII = 24;

/**
 * Decodes `bytes[start, end)` as UTF-8 (invalid sequences become U+FFFD).
 * Short ASCII runs take a pure-JS path: much cheaper than TextDecoder for the
 * typical 1–20 byte command names and argument values.
 */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  const len = end - start;
  if (len <= 0) return '';
  if (len <= SHORT_ASCII) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = bytes[i]!;
      if (c >= 0x80) return decoder.decode(bytes.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decoder.decode(bytes.subarray(start, end));
}

/** Decodes a whole array as UTF-8 (invalid sequences become U+FFFD). */
export function decodeAll(bytes: Uint8Array): string {
  // Past the short-ASCII path, straight to the decoder (no subarray view to allocate).
  return bytes.length <= SHORT_ASCII ? decodeUtf8(bytes, 0, bytes.length) : decoder.decode(bytes);
}

/** UTF-8 encoding; lone surrogates become U+FFFD (EF BF BD). */
export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Writes the UTF-8 encoding of `text` into `target` (lone surrogates become
 * U+FFFD); returns the bytes written. `target` must hold `3 * text.length`.
 */
export function encodeUtf8Into(text: string, target: Uint8Array): number {
  return encoder.encodeInto(text, target).written;
}

/** Longest string encoded with a JS loop instead of a call into TextEncoder. */
const SHORT_TEXT = 64;

/**
 * UTF-8 bytes of `text`, or `null` if it contains a lone surrogate (it would
 * not decode back to itself). Short ASCII strings take a pure-JS path: a call
 * into TextEncoder costs ~300 ns whatever the length.
 */
export function encodeWellFormed(text: string): Uint8Array | null {
  const n = text.length;
  if (n <= SHORT_TEXT) {
    const out = new Uint8Array(n);
    let i = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) break;
      out[i] = c;
    }
    if (i === n) return out;
  }
  return isWellFormed(text) ? encoder.encode(text) : null;
}

/**
 * True when `text` has no lone surrogate, i.e. when encoding it as UTF-8 and
 * decoding it again gives `text` back. (`String.prototype.isWellFormed` is
 * ES2024, beyond our lib target.)
 */
export function isWellFormed(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c >= 0xdc00) return false; // low surrogate without a high one
    const next = text.charCodeAt(i + 1); // NaN past the end
    if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
    i++;
  }
  return true;
}
