/**
 * A JSON parser (RFC 8259) over UTF-8 bytes, hardened for hostile input.
 *
 * - Size: the input is refused before parsing when over `maxBytes`.
 * - Depth: nesting over `maxDepth` stops the parse when it is reached; the
 *   recursion is bounded by the limit, never by the input.
 * - UTF-8: strings must be well-formed UTF-8 (no overlongs, no encoded
 *   surrogates, nothing above U+10FFFF); anything else is `INVALID_UTF8`.
 *   A BOM is not JSON whitespace: a leading EF BB BF is `UNEXPECTED_BYTE`.
 * - Numbers: integers written without fraction or exponent that are beyond
 *   ±(2^53 - 1) become `bigint` (exact); other numbers become `number`
 *   (nearest double; underflow gives 0); a magnitude beyond the largest
 *   double (`1e999`) is `NUMBER_OUT_OF_RANGE`.
 * - Duplicate keys in one object are refused (`DUPLICATE_KEY`): different
 *   parsers pick different duplicates, so accepting them lets one request mean
 *   two things.
 * - Objects have a `null` prototype and every key, `__proto__`,
 *   `constructor` and `prototype` included, is an own data property: no
 *   prototype is ever touched.
 * - `\u` escapes may produce lone surrogates (as `JSON.parse` allows); they
 *   are kept and written back escaped by `stringifyJson`.
 */

import { decodeUtf8, encodeUtf8, isWellFormed } from '../legacy/text.js';
import { JsonCodecError } from './errors.js';
import { createJsonObject, type JsonValue, setJsonField } from './json-value.js';
import { JSON_MAX_DEPTH, JSON_MAX_DEPTH_CEILING, JSONRPC_MAX_DATAGRAM_SIZE } from './limits.js';

/** Limits of {@link safeJsonParse}. Every field is optional. */
export interface JsonParseLimits {
  /**
   * Deepest nesting of arrays/objects; the outermost one is depth 1.
   * Default {@link JSON_MAX_DEPTH} (64); an integer from 1 to
   * {@link JSON_MAX_DEPTH_CEILING} (1000).
   */
  readonly maxDepth?: number;
  /** Largest input in UTF-8 bytes. Default {@link JSONRPC_MAX_DATAGRAM_SIZE} (65457). */
  readonly maxBytes?: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

function isJsonWhitespace(c: number): boolean {
  // RFC 8259 section 2: space, tab, LF, CR. Not \v, \f, NBSP or a BOM.
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= ZERO && c <= NINE;
}

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= ZERO && c <= NINE) return c - ZERO;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/** The character of a one-letter escape (`\\n` …), or `undefined` for an unknown one. */
function simpleEscape(c: number): string | undefined {
  switch (c) {
    case QUOTE:
      return '"';
    case BACKSLASH:
      return '\\';
    case 0x2f:
      return '/';
    case 0x62:
      return '\b';
    case 0x66:
      return '\f';
    case 0x6e:
      return '\n';
    case 0x72:
      return '\r';
    case 0x74:
      return '\t';
    default:
      return undefined;
  }
}

/**
 * Length of the well-formed UTF-8 sequence starting with a byte >= 0x80 at
 * `i` (2 to 4), or 0 when it is not one (Unicode 15, table 3-7).
 */
export function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const lead = bytes[i]!;
  let continuation: number;
  let low = 0x80;
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) continuation = 1;
  else if (lead === 0xe0) {
    continuation = 2;
    low = 0xa0; // no overlongs
  } else if (lead >= 0xe1 && lead <= 0xef) {
    continuation = 2;
    if (lead === 0xed) high = 0x9f; // no encoded surrogates
  } else if (lead === 0xf0) {
    continuation = 3;
    low = 0x90; // no overlongs
  } else if (lead >= 0xf1 && lead <= 0xf3) continuation = 3;
  else if (lead === 0xf4) {
    continuation = 3;
    high = 0x8f; // nothing above U+10FFFF
  } else return 0;
  const second = bytes[i + 1];
  if (second === undefined || second < low || second > high) return 0;
  for (let k = 2; k <= continuation; k++) {
    const next = bytes[i + k];
    if (next === undefined || next < 0x80 || next > 0xbf) return 0;
  }
  return continuation + 1;
}

function describeByte(c: number): string {
  return c >= 0x20 && c < 0x7f
    ? `'${String.fromCharCode(c)}'`
    : `0x${c.toString(16).padStart(2, '0')}`;
}

/** One parse. Holds its own position: no state outlives {@link safeJsonParse}. */
class Parser {
  readonly #bytes: Uint8Array;
  readonly #maxDepth: number;
  #pos = 0;

  constructor(bytes: Uint8Array, maxDepth: number) {
    this.#bytes = bytes;
    this.#maxDepth = maxDepth;
  }

  parseDocument(): JsonValue {
    const value = this.#value(0);
    this.#skipWhitespace();
    if (this.#pos < this.#bytes.length) this.#unexpected();
    return value;
  }

  #fail(code: 'UNEXPECTED_END' | 'UNEXPECTED_BYTE', what?: string): never {
    const at = this.#pos;
    if (code === 'UNEXPECTED_END' || at >= this.#bytes.length) {
      throw new JsonCodecError(
        'UNEXPECTED_END',
        `unexpected end of input${what ? `, ${what}` : ''}`,
        at,
      );
    }
    const byte = describeByte(this.#bytes[at]!);
    throw new JsonCodecError('UNEXPECTED_BYTE', `unexpected ${byte}${what ? `, ${what}` : ''}`, at);
  }

  #unexpected(what?: string): never {
    return this.#fail('UNEXPECTED_BYTE', what);
  }

  #skipWhitespace(): void {
    const bytes = this.#bytes;
    while (this.#pos < bytes.length && isJsonWhitespace(bytes[this.#pos]!)) this.#pos++;
  }

  #value(depth: number): JsonValue {
    this.#skipWhitespace();
    const c = this.#bytes[this.#pos];
    if (c === undefined) return this.#fail('UNEXPECTED_END', 'expected a value');
    switch (c) {
      case 0x7b: // {
        return this.#object(depth + 1);
      case 0x5b: // [
        return this.#array(depth + 1);
      case QUOTE:
        return this.#string();
      case 0x74:
        return this.#literal('true', true);
      case 0x66:
        return this.#literal('false', false);
      case 0x6e:
        return this.#literal('null', null);
      default:
        if (c === MINUS || isDigit(c)) return this.#number();
        return this.#unexpected('expected a value');
    }
  }

  #enter(depth: number): void {
    if (depth > this.#maxDepth) {
      throw new JsonCodecError(
        'TOO_DEEP',
        `nesting deeper than ${this.#maxDepth} levels`,
        this.#pos,
      );
    }
    this.#pos++; // the opening bracket
  }

  #array(depth: number): JsonValue {
    this.#enter(depth);
    const items: JsonValue[] = [];
    this.#skipWhitespace();
    if (this.#bytes[this.#pos] === 0x5d) {
      this.#pos++;
      return items;
    }
    for (;;) {
      items.push(this.#value(depth));
      this.#skipWhitespace();
      const c = this.#bytes[this.#pos];
      if (c === COMMA) {
        this.#pos++;
      } else if (c === 0x5d) {
        this.#pos++;
        return items;
      } else {
        return this.#unexpected("expected ',' or ']'");
      }
    }
  }

  #object(depth: number): JsonValue {
    this.#enter(depth);
    const object = createJsonObject();
    this.#skipWhitespace();
    if (this.#bytes[this.#pos] === 0x7d) {
      this.#pos++;
      return object;
    }
    for (;;) {
      this.#skipWhitespace();
      if (this.#bytes[this.#pos] !== QUOTE) this.#unexpected('expected a key string');
      const keyOffset = this.#pos;
      const key = this.#string();
      if (Object.hasOwn(object, key)) {
        throw new JsonCodecError(
          'DUPLICATE_KEY',
          `duplicate key ${JSON.stringify(key)}`,
          keyOffset,
        );
      }
      this.#skipWhitespace();
      if (this.#bytes[this.#pos] !== COLON) this.#unexpected("expected ':'");
      this.#pos++;
      setJsonField(object, key, this.#value(depth));
      this.#skipWhitespace();
      const c = this.#bytes[this.#pos];
      if (c === COMMA) {
        this.#pos++;
      } else if (c === 0x7d) {
        this.#pos++;
        return object;
      } else {
        return this.#unexpected("expected ',' or '}'");
      }
    }
  }

  #literal<T extends JsonValue>(word: string, value: T): T {
    const bytes = this.#bytes;
    for (let k = 0; k < word.length; k++) {
      if (this.#pos >= bytes.length) this.#fail('UNEXPECTED_END', `expected '${word}'`);
      if (bytes[this.#pos] !== word.charCodeAt(k)) this.#unexpected(`expected '${word}'`);
      this.#pos++;
    }
    return value;
  }

  #digits(): void {
    if (!isDigit(this.#bytes[this.#pos])) this.#unexpected('expected a digit');
    while (isDigit(this.#bytes[this.#pos])) this.#pos++;
  }

  #number(): number | bigint {
    const bytes = this.#bytes;
    const start = this.#pos;
    let integer = true;
    if (bytes[this.#pos] === MINUS) this.#pos++;
    if (bytes[this.#pos] === ZERO) this.#pos++;
    else this.#digits();
    if (bytes[this.#pos] === DOT) {
      integer = false;
      this.#pos++;
      this.#digits();
    }
    const e = bytes[this.#pos];
    if (e === 0x65 || e === 0x45) {
      integer = false;
      this.#pos++;
      const sign = bytes[this.#pos];
      if (sign === PLUS || sign === MINUS) this.#pos++;
      this.#digits();
    }
    const text = decodeUtf8(bytes, start, this.#pos); // ASCII only
    const number = Number(text);
    if (integer && !Number.isSafeInteger(number)) return BigInt(text);
    if (!Number.isFinite(number)) {
      throw new JsonCodecError('NUMBER_OUT_OF_RANGE', 'number beyond the largest double', start);
    }
    return number;
  }

  #string(): string {
    const bytes = this.#bytes;
    this.#pos++; // opening quote
    let out = '';
    let runStart = this.#pos;
    for (;;) {
      const c = bytes[this.#pos];
      if (c === undefined) return this.#fail('UNEXPECTED_END', 'inside a string');
      if (c === QUOTE) {
        out += decodeUtf8(bytes, runStart, this.#pos);
        this.#pos++;
        return out;
      }
      if (c === BACKSLASH) {
        out += decodeUtf8(bytes, runStart, this.#pos);
        out += this.#escape();
        runStart = this.#pos;
      } else if (c < 0x20) {
        this.#unexpected('raw control character in a string');
      } else if (c < 0x80) {
        this.#pos++;
      } else {
        const length = utf8SequenceLength(bytes, this.#pos);
        if (length === 0) {
          throw new JsonCodecError('INVALID_UTF8', 'invalid UTF-8 in a string', this.#pos);
        }
        this.#pos += length;
      }
    }
  }

  #escape(): string {
    const bytes = this.#bytes;
    const at = this.#pos;
    const c = bytes[at + 1];
    if (c === undefined) return this.#fail('UNEXPECTED_END', 'inside an escape');
    if (c === 0x75) {
      let unit = 0;
      for (let k = 2; k < 6; k++) {
        const digit = hexValue(bytes[at + k]);
        if (digit < 0) throw new JsonCodecError('INVALID_ESCAPE', 'bad \\u escape', at);
        unit = unit * 16 + digit;
      }
      this.#pos = at + 6;
      return String.fromCharCode(unit);
    }
    const simple = simpleEscape(c);
    if (simple === undefined) throw new JsonCodecError('INVALID_ESCAPE', 'unknown escape', at);
    this.#pos = at + 2;
    return simple;
  }
}

/**
 * Parses one JSON text (RFC 8259) with the protections listed above.
 *
 * @param input UTF-8 bytes, or a string (which must be well-formed UTF-16:
 *   a lone surrogate is `INVALID_UTF8`; the size limit counts its UTF-8 bytes).
 * @throws {JsonCodecError} for any input that is not accepted; nothing else
 *   for any input. A `RangeError` only for a bad `maxDepth`.
 */
export function safeJsonParse(input: string | Uint8Array, limits: JsonParseLimits = {}): JsonValue {
  const maxDepth = limits.maxDepth ?? JSON_MAX_DEPTH;
  const maxBytes = limits.maxBytes ?? JSONRPC_MAX_DATAGRAM_SIZE;
  if (!Number.isInteger(maxDepth) || maxDepth < 1 || maxDepth > JSON_MAX_DEPTH_CEILING) {
    throw new RangeError(`maxDepth must be an integer from 1 to ${JSON_MAX_DEPTH_CEILING}`);
  }
  let bytes: Uint8Array;
  if (typeof input === 'string') {
    // Every UTF-16 unit takes at least one UTF-8 byte: refuse hopeless
    // inputs before encoding them.
    if (input.length > maxBytes) {
      throw new JsonCodecError('TOO_LARGE', `input over ${maxBytes} bytes`);
    }
    if (!isWellFormed(input)) {
      throw new JsonCodecError('INVALID_UTF8', 'lone surrogate in the input string');
    }
    bytes = encodeUtf8(input);
  } else {
    bytes = input;
  }
  if (bytes.length > maxBytes) {
    throw new JsonCodecError('TOO_LARGE', `input of ${bytes.length} bytes over ${maxBytes}`);
  }
  return new Parser(bytes, maxDepth).parseDocument();
}
