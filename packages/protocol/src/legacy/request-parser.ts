/**
 * Legacy text request parser (PROTOCOL.md 2). Works on the bytes of one
 * datagram; strings are decoded lazily from them.
 */

import { BACKSLASH, COLON, isBlank, NL, QUOTE } from './bytes.js';
import { MiProtocolError } from './errors.js';
import { MAX_DATAGRAM_SIZE } from './limits.js';
import { decodeUtf8 } from './text.js';

/** The first line of a request (PROTOCOL.md 2.1). */
export interface RequestHead {
  /** The command name decoded as UTF-8 (invalid sequences become U+FFFD), for lookup. */
  readonly command: string;
  /** The exact bytes of the command name: a view into the datagram, not a copy. */
  readonly commandBytes: Uint8Array;
  /** Where the arguments start: the byte after the first line's `\n`. */
  readonly bodyOffset: number;
}

/**
 * One argument: a name and a value, each absent (`null`) or present (a
 * string, possibly `''` for a value written `""`). The strings are the UTF-8
 * decoding of the bytes, computed on first access.
 */
export interface MiArgument {
  readonly name: string | null;
  readonly value: string | null;
  /**
   * Exact bytes of the name: a view into the datagram (not a copy), so it
   * changes if the datagram buffer is reused.
   */
  readonly nameBytes: Uint8Array | null;
  /**
   * Exact bytes of the value, unescaped: a view into the datagram, except for a
   * quoted value containing `\"` escapes, which is a fresh copy.
   */
  readonly valueBytes: Uint8Array | null;
}

/** A whole request: {@link RequestHead} plus the parsed arguments. */
export interface ParsedRequest {
  readonly command: string;
  readonly commandBytes: Uint8Array;
  readonly args: MiArgument[];
}

/** Unset-cache marker (a string can never be `undefined`). */
const UNSET = undefined;

/**
 * Lazy {@link MiArgument}: holds offsets into the datagram and decodes on
 * demand. `toJSON()` gives `{ name, value }`, so `JSON.stringify` and test
 * matchers that serialise see plain data.
 */
class LazyArgument implements MiArgument {
  readonly #src: Uint8Array;
  readonly #nameStart: number; // -1 = absent
  readonly #nameEnd: number;
  readonly #valueStart: number; // -1 = absent
  readonly #valueEnd: number;
  readonly #escaped: boolean;
  #name: string | null | undefined = UNSET;
  #value: string | null | undefined = UNSET;
  #valueBytes: Uint8Array | null | undefined = UNSET;

  constructor(
    src: Uint8Array,
    nameStart: number,
    nameEnd: number,
    valueStart: number,
    valueEnd: number,
    escaped: boolean,
  ) {
    this.#src = src;
    this.#nameStart = nameStart;
    this.#nameEnd = nameEnd;
    this.#valueStart = valueStart;
    this.#valueEnd = valueEnd;
    this.#escaped = escaped;
  }

  get name(): string | null {
    if (this.#name === UNSET) {
      this.#name =
        this.#nameStart < 0 ? null : decodeUtf8(this.#src, this.#nameStart, this.#nameEnd);
    }
    return this.#name;
  }

  get value(): string | null {
    if (this.#value === UNSET) {
      if (this.#valueStart < 0) this.#value = null;
      else if (!this.#escaped)
        this.#value = decodeUtf8(this.#src, this.#valueStart, this.#valueEnd);
      else {
        const bytes = this.valueBytes;
        this.#value = bytes === null ? null : decodeUtf8(bytes, 0, bytes.length);
      }
    }
    return this.#value;
  }

  get nameBytes(): Uint8Array | null {
    return this.#nameStart < 0 ? null : this.#src.subarray(this.#nameStart, this.#nameEnd);
  }

  get valueBytes(): Uint8Array | null {
    if (this.#valueBytes === UNSET) {
      if (this.#valueStart < 0) this.#valueBytes = null;
      else if (!this.#escaped)
        this.#valueBytes = this.#src.subarray(this.#valueStart, this.#valueEnd);
      else this.#valueBytes = unescapeQuoted(this.#src, this.#valueStart, this.#valueEnd);
    }
    return this.#valueBytes;
  }

  toJSON(): { name: string | null; value: string | null } {
    return { name: this.name, value: this.value };
  }
}

/**
 * PROTOCOL.md 2.2: inside quotes `\"` stands for `"`, and nothing else is an
 * escape (`\\` is two backslashes). Every `"` between the quotes is part of
 * such a pair, otherwise it would have closed the value.
 */
function unescapeQuoted(src: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  let o = 0;
  for (let i = start; i < end; i++) {
    const c = src[i]!;
    if (c === BACKSLASH && i + 1 < end && src[i + 1] === QUOTE) {
      out[o++] = QUOTE;
      i++;
    } else {
      out[o++] = c;
    }
  }
  return out.slice(0, o);
}

function checkSize(datagram: Uint8Array): void {
  if (datagram.length === 0) {
    throw new MiProtocolError('EMPTY_DATAGRAM', 'empty datagram (no reply is sent)');
  }
  // PROTOCOL.md 2.3: the original truncated silently; we refuse, before any parsing.
  if (datagram.length > MAX_DATAGRAM_SIZE) {
    throw new MiProtocolError(
      'REQUEST_TOO_LARGE',
      `request of ${datagram.length} bytes exceeds ${MAX_DATAGRAM_SIZE}`,
    );
  }
}

/**
 * Parses the first line `:command:\n` (PROTOCOL.md 2.1).
 *
 * @throws {MiProtocolError} `EMPTY_DATAGRAM` (length 0: send no reply),
 *   `REQUEST_TOO_LARGE` (over {@link MAX_DATAGRAM_SIZE}, checked first),
 *   `NOT_AVAILABLE` (no leading `:`, no closing `:` on the first line, the
 *   closing `:` not followed by `\n`, or an empty name).
 */
export function parseRequestHead(datagram: Uint8Array): RequestHead {
  checkSize(datagram);
  const n = datagram.length;
  if (datagram[0] !== COLON) {
    throw new MiProtocolError('NOT_AVAILABLE', 'request does not start with ":"', 0);
  }
  let i = 1;
  for (; i < n; i++) {
    const c = datagram[i]!;
    if (c === COLON) break;
    // PROTOCOL.md 2.3: the name search is bounded by the line (`:a\nb:\n` is refused).
    if (c === NL) throw new MiProtocolError('NOT_AVAILABLE', 'first line has no closing ":"', i);
  }
  if (i >= n) throw new MiProtocolError('NOT_AVAILABLE', 'first line has no closing ":"', n);
  // An empty name is never a registered command.
  if (i === 1) throw new MiProtocolError('NOT_AVAILABLE', 'empty command name', 1);
  // The byte right after the closing ":" must be "\n" (so ":cmd:\r\n" is refused).
  if (i + 1 >= n || datagram[i + 1] !== NL) {
    throw new MiProtocolError('NOT_AVAILABLE', 'closing ":" not followed by a newline', i + 1);
  }
  return {
    command: decodeUtf8(datagram, 1, i),
    commandBytes: datagram.subarray(1, i),
    bodyOffset: i + 2,
  };
}

function parseError(message: string, offset: number): MiProtocolError {
  return new MiProtocolError('PARSE_ERROR', message, offset);
}

/**
 * Finds the closing quote of a quoted value whose opening `"` is at `open`
 * (PROTOCOL.md 2.2 and 2.3: the next `"` not preceded by a backslash; an
 * escape right after the opening quote counts). Returns the index of the
 * closing quote, or -1 if the value is unterminated. `escaped` tells whether
 * any `\"` was seen.
 */
function findClosingQuote(src: Uint8Array, open: number): { close: number; escaped: boolean } {
  let escaped = false;
  let from = open + 1;
  for (;;) {
    const q = src.indexOf(QUOTE, from);
    if (q < 0) return { close: -1, escaped };
    // src[open] is '"', so q - 1 >= open never reads a backslash outside the value.
    if (src[q - 1] !== BACKSLASH) return { close: q, escaped };
    escaped = true;
    from = q + 1;
  }
}

/**
 * After a closing quote only blanks may follow up to the end of the line or
 * of the datagram (PROTOCOL.md 2.2). Returns the index of that `\n` (or n).
 */
function skipQuoteTail(src: Uint8Array, from: number): number {
  const n = src.length;
  let q = from;
  for (; q < n; q++) {
    const c = src[q]!;
    if (c === NL) return q;
    if (!isBlank(c)) throw parseError('unexpected text after the closing quote', q);
  }
  return q;
}

/**
 * Parses the arguments that follow the first line (PROTOCOL.md 2.2 with the
 * intended rules of 2.3). `bodyOffset` is {@link RequestHead.bodyOffset}.
 *
 * The returned arguments decode their strings lazily; their byte views point
 * into `datagram` (see {@link MiArgument}).
 *
 * @throws {MiProtocolError} `PARSE_ERROR` with the byte `offset` of the
 *   problem: a `"` inside a name or an unquoted value, an unterminated quoted
 *   value (offset of its opening quote), text after a closing quote, or an
 *   argument whose name and value are both absent (offset of its `::`);
 *   `EMPTY_DATAGRAM` / `REQUEST_TOO_LARGE` as {@link parseRequestHead}.
 * @throws {RangeError} if `bodyOffset` is not an integer within the datagram.
 */
export function parseArguments(datagram: Uint8Array, bodyOffset: number): MiArgument[] {
  checkSize(datagram);
  const n = datagram.length;
  if (!Number.isInteger(bodyOffset) || bodyOffset < 0 || bodyOffset > n) {
    throw new RangeError(`bodyOffset ${bodyOffset} is outside the datagram (0..${n})`);
  }
  const args: MiArgument[] = [];
  const src = datagram;
  let p = bodyOffset;
  while (p < n) {
    // PROTOCOL.md 2.2: blanks (newlines included) before an argument are
    // skipped; blank lines do not end the request, only the datagram's end does.
    // 2.3: a NUL here is ordinary data (the original dropped every argument).
    let c = src[p]!;
    if (isBlank(c)) {
      p++;
      continue;
    }
    if (c === QUOTE) {
      // A value-only argument, quoted.
      const { close, escaped } = findClosingQuote(src, p);
      if (close < 0) throw parseError('unterminated quoted value', p);
      args.push(new LazyArgument(src, -1, -1, p + 1, close, escaped));
      p = skipQuoteTail(src, close + 1);
      continue;
    }
    let lineEnd = src.indexOf(NL, p);
    if (lineEnd < 0) lineEnd = n;
    // Look for the first "::" on the line; a '"' before it is an error.
    let sep = -1;
    for (let i = p; i < lineEnd; i++) {
      c = src[i]!;
      if (c === COLON) {
        if (i + 1 < lineEnd && src[i + 1] === COLON) {
          sep = i;
          break;
        }
      } else if (c === QUOTE) {
        throw parseError("unexpected '\"' in an unquoted argument", i);
      }
    }
    if (sep < 0) {
      // No "::": the whole line, right-trimmed, is a value without a name.
      // It starts with a non-blank byte, so it is never empty.
      let end = lineEnd;
      while (isBlank(src[end - 1]!)) end--;
      args.push(new LazyArgument(src, -1, -1, p, end, false));
      p = lineEnd;
      continue;
    }
    // Name: the text before "::", right-trimmed (left blanks were skipped);
    // absent if nothing precedes "::".
    let nameEnd = sep;
    while (nameEnd > p && isBlank(src[nameEnd - 1]!)) nameEnd--;
    const nameStart = nameEnd > p ? p : -1;
    // Value: blanks after "::" are skipped (within the line).
    let v = sep + 2;
    while (v < lineEnd && isBlank(src[v]!)) v++;
    if (v === lineEnd) {
      // PROTOCOL.md 2.3: `name::` at the very end of the datagram is the same as
      // `name::\n` (absent value), and a bare `::` is an error either way.
      if (nameStart < 0) throw parseError('argument with neither name nor value', sep);
      args.push(new LazyArgument(src, nameStart, nameEnd, -1, -1, false));
      p = lineEnd;
      continue;
    }
    if (src[v] === QUOTE) {
      const { close, escaped } = findClosingQuote(src, v);
      if (close < 0) throw parseError('unterminated quoted value', v);
      args.push(new LazyArgument(src, nameStart, nameEnd, v + 1, close, escaped));
      p = skipQuoteTail(src, close + 1);
      continue;
    }
    // Unquoted value: runs to the end of the line, right-trimmed; everything
    // after the first "::" belongs to it (`a::b::c` is a / b::c); no '"'.
    for (let i = v; i < lineEnd; i++) {
      if (src[i] === QUOTE) throw parseError("unexpected '\"' in an unquoted value", i);
    }
    let end = lineEnd;
    while (isBlank(src[end - 1]!)) end--;
    args.push(new LazyArgument(src, nameStart, nameEnd, v, end, false));
    p = lineEnd;
  }
  return args;
}

/**
 * {@link parseRequestHead} followed by {@link parseArguments}. Use the two
 * steps separately for commands that take no input: their arguments are never
 * parsed (PROTOCOL.md 2.2, last point).
 */
export function parseRequest(datagram: Uint8Array): ParsedRequest {
  const head = parseRequestHead(datagram);
  return {
    command: head.command,
    commandBytes: head.commandBytes,
    args: parseArguments(datagram, head.bodyOffset),
  };
}
