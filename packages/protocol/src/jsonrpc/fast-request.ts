/**
 * One-pass reader for the common JSON-RPC request datagram:
 *
 *     {"jsonrpc":"2.0","method":"M","params":{..}|[..],"id":N|"S"|null}
 *
 * members in any order, any JSON whitespace between tokens, `params` and `id`
 * optional; `params` holds only flat values (strings without escapes, short
 * integers, `true`, `false`, `null`). It reads the bytes once and builds the
 * parsed request directly, without the general parser's per-value work.
 *
 * It accepts only what it can answer exactly as `safeJsonParse` +
 * `validateJsonRpcRequest` would. Anything else (another member, an escape,
 * a nested value, a fraction, a long integer, a duplicate key, a syntax
 * error, invalid UTF-8, `jsonrpc` other than "2.0" …) makes it return `null`
 * and the caller runs the full parser, which gives the result or the error.
 * The test suite checks the two paths against each other (differential
 * property test).
 */

import { decodeUtf8 } from '../legacy/text.js';
import { utf8SequenceLength } from './json-parse.js';
import { createJsonObject, type JsonArray, type JsonObject, type JsonValue } from './json-value.js';
import type { JsonRpcParams, JsonRpcParsed } from './request.js';
import type { JsonRpcId } from './response.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** Most digits of an integer read here: 15 digits are always below 2^53, so exact as a number. */
const MAX_DIGITS = 15;

const SEEN_JSONRPC = 1;
const SEEN_METHOD = 2;
const SEEN_PARAMS = 4;
const SEEN_ID = 8;

/**
 * Where a token ends, and its value. One reader per call of
 * {@link readCommonJsonRpcRequest}; reused slots instead of returned tuples.
 */
class Cursor {
  pos = 0;
  value: JsonValue = null;
  constructor(readonly bytes: Uint8Array) {}
}

function skipWhitespace(b: Uint8Array, i: number): number {
  for (;;) {
    const c = b[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

/**
 * A string without escapes starting at the quote at `cur.pos`: its value in
 * `cur.value`, `cur.pos` after the closing quote. `false` for anything else.
 */
function readString(cur: Cursor): boolean {
  const b = cur.bytes;
  const start = cur.pos + 1;
  let i = start;
  for (;;) {
    const c = b[i];
    if (c === undefined) return false;
    if (c === QUOTE) break;
    if (c === BACKSLASH || c < 0x20) return false;
    if (c < 0x80) i++;
    else {
      const length = utf8SequenceLength(b, i);
      if (length === 0) return false;
      i += length;
    }
  }
  cur.value = decodeUtf8(b, start, i);
  cur.pos = i + 1;
  return true;
}

/** An integer of at most {@link MAX_DIGITS} digits, no fraction or exponent. */
function readInteger(cur: Cursor): boolean {
  const b = cur.bytes;
  let i = cur.pos;
  const negative = b[i] === MINUS;
  if (negative) i++;
  const first = i;
  let n = 0;
  for (;;) {
    const c = b[i];
    if (c === undefined || c < ZERO || c > NINE) break;
    n = n * 10 + (c - ZERO);
    i++;
  }
  const digits = i - first;
  if (digits === 0 || digits > MAX_DIGITS) return false;
  if (b[first] === ZERO && digits > 1) return false; // leading zero: a syntax error
  const next = b[i];
  if (next === 0x2e || next === 0x65 || next === 0x45) return false; // fraction, exponent
  cur.value = negative ? -n : n;
  cur.pos = i;
  return true;
}

/** `word` (ASCII) at `cur.pos`. */
function readWord(cur: Cursor, word: string, value: JsonValue): boolean {
  const b = cur.bytes;
  const at = cur.pos;
  for (let k = 0; k < word.length; k++) {
    if (b[at + k] !== word.charCodeAt(k)) return false;
  }
  cur.value = value;
  cur.pos = at + word.length;
  return true;
}

/** A flat value: string, short integer, `true`, `false`, `null`. */
function readFlat(cur: Cursor): boolean {
  const c = cur.bytes[cur.pos];
  if (c === QUOTE) return readString(cur);
  if (c === 0x74) return readWord(cur, 'true', true);
  if (c === 0x66) return readWord(cur, 'false', false);
  if (c === 0x6e) return readWord(cur, 'null', null);
  if (c === MINUS || (c !== undefined && c >= ZERO && c <= NINE)) return readInteger(cur);
  return false;
}

/** `[flat, …]` at `cur.pos` (the `[` itself). */
function readFlatArray(cur: Cursor): boolean {
  const b = cur.bytes;
  const items: JsonValue[] = [];
  let i = skipWhitespace(b, cur.pos + 1);
  if (b[i] === CLOSE_BRACKET) {
    cur.value = items;
    cur.pos = i + 1;
    return true;
  }
  for (;;) {
    cur.pos = i;
    if (!readFlat(cur)) return false;
    items.push(cur.value);
    i = skipWhitespace(b, cur.pos);
    const c = b[i];
    if (c === CLOSE_BRACKET) break;
    if (c !== COMMA) return false;
    i = skipWhitespace(b, i + 1);
  }
  cur.value = items satisfies JsonArray;
  cur.pos = i + 1;
  return true;
}

/** `{"k": flat, …}` at `cur.pos` (the `{` itself); a duplicate key is left to the full parser. */
function readFlatObject(cur: Cursor): boolean {
  const b = cur.bytes;
  // Null prototype: plain assignment creates own data properties, whatever
  // the key (`__proto__` included), exactly as `setJsonField` does.
  const object = createJsonObject();
  let i = skipWhitespace(b, cur.pos + 1);
  if (b[i] === CLOSE_BRACE) {
    cur.value = object;
    cur.pos = i + 1;
    return true;
  }
  for (;;) {
    if (b[i] !== QUOTE) return false;
    cur.pos = i;
    if (!readString(cur)) return false;
    const key = cur.value as string;
    if (Object.hasOwn(object, key)) return false;
    i = skipWhitespace(b, cur.pos);
    if (b[i] !== COLON) return false;
    cur.pos = skipWhitespace(b, i + 1);
    if (!readFlat(cur)) return false;
    object[key] = cur.value;
    i = skipWhitespace(b, cur.pos);
    const c = b[i];
    if (c === CLOSE_BRACE) break;
    if (c !== COMMA) return false;
    i = skipWhitespace(b, i + 1);
  }
  cur.value = object satisfies JsonObject;
  cur.pos = i + 1;
  return true;
}

/** Which member name starts at the quote at `i`: its SEEN_ bit and length, or 0. */
function memberAt(b: Uint8Array, i: number): number {
  switch (b[i + 1]) {
    case 0x6a: // "jsonrpc"
      return b[i + 2] === 0x73 &&
        b[i + 3] === 0x6f &&
        b[i + 4] === 0x6e &&
        b[i + 5] === 0x72 &&
        b[i + 6] === 0x70 &&
        b[i + 7] === 0x63 &&
        b[i + 8] === QUOTE
        ? SEEN_JSONRPC
        : 0;
    case 0x6d: // "method"
      return b[i + 2] === 0x65 &&
        b[i + 3] === 0x74 &&
        b[i + 4] === 0x68 &&
        b[i + 5] === 0x6f &&
        b[i + 6] === 0x64 &&
        b[i + 7] === QUOTE
        ? SEEN_METHOD
        : 0;
    case 0x70: // "params"
      return b[i + 2] === 0x61 &&
        b[i + 3] === 0x72 &&
        b[i + 4] === 0x61 &&
        b[i + 5] === 0x6d &&
        b[i + 6] === 0x73 &&
        b[i + 7] === QUOTE
        ? SEEN_PARAMS
        : 0;
    case 0x69: // "id"
      return b[i + 2] === 0x64 && b[i + 3] === QUOTE ? SEEN_ID : 0;
    default:
      return 0;
  }
}

const MEMBER_LENGTH = [0, 9, 8, 0, 8, 0, 0, 0, 4] as const;

/** `"2.0"` at `i`. */
function isVersionAt(b: Uint8Array, i: number): boolean {
  return (
    b[i] === QUOTE &&
    b[i + 1] === 0x32 &&
    b[i + 2] === 0x2e &&
    b[i + 3] === 0x30 &&
    b[i + 4] === QUOTE
  );
}

/**
 * The parsed datagram when `data` is a valid request of the common shape
 * (see above), else `null`: the caller must then use the full parser. Never
 * throws. The caller checks the size limit first; `maxDepth` must be at
 * least 2 (the object and its params).
 */
export function readCommonJsonRpcRequest(data: Uint8Array): JsonRpcParsed | null {
  const cur = new Cursor(data);
  let i = skipWhitespace(data, 0);
  if (data[i] !== OPEN_BRACE) return null;
  i = skipWhitespace(data, i + 1);
  let seen = 0;
  let method = '';
  let params: JsonRpcParams | undefined;
  let id: JsonRpcId | undefined;
  for (;;) {
    if (data[i] !== QUOTE) return null;
    const member = memberAt(data, i);
    if (member === 0 || (seen & member) !== 0) return null;
    seen |= member;
    i = skipWhitespace(data, i + MEMBER_LENGTH[member as 1 | 2 | 4 | 8]);
    if (data[i] !== COLON) return null;
    i = skipWhitespace(data, i + 1);
    cur.pos = i;
    switch (member) {
      case SEEN_JSONRPC:
        if (!isVersionAt(data, i)) return null;
        cur.pos = i + 5;
        break;
      case SEEN_METHOD:
        if (data[i] !== QUOTE || !readString(cur)) return null;
        method = cur.value as string;
        break;
      case SEEN_PARAMS: {
        const c = data[i];
        if (c === OPEN_BRACKET) {
          if (!readFlatArray(cur)) return null;
        } else if (c !== OPEN_BRACE || !readFlatObject(cur)) return null;
        params = cur.value as JsonRpcParams;
        break;
      }
      default: {
        const c = data[i];
        if (c === QUOTE) {
          if (!readString(cur)) return null;
        } else if (c === 0x6e) {
          if (!readWord(cur, 'null', null)) return null;
        } else if (!readInteger(cur)) return null;
        id = cur.value as JsonRpcId;
      }
    }
    i = skipWhitespace(data, cur.pos);
    const c = data[i];
    if (c === CLOSE_BRACE) break;
    if (c !== COMMA) return null;
    i = skipWhitespace(data, i + 1);
  }
  if (skipWhitespace(data, i + 1) !== data.length) return null;
  if ((seen & (SEEN_JSONRPC | SEEN_METHOD)) !== (SEEN_JSONRPC | SEEN_METHOD)) return null;
  return { kind: 'single', item: { ok: true, request: { method, params, id } } };
}
