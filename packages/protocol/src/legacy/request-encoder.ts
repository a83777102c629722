/**
 * Legacy text request encoder (PROTOCOL.md 2). It writes the shortest form
 * that parses back to exactly the input, and refuses what the grammar cannot
 * express instead of writing bytes that would parse differently.
 */

import { BACKSLASH, COLON, isBlank, NL, QUOTE, SPACE } from './bytes.js';
import { MiProtocolError } from './errors.js';
import { MAX_DATAGRAM_SIZE } from './limits.js';
import { encodeWellFormed } from './text.js';

/** A name or value: text (written as UTF-8) or exact bytes; `null`/`undefined` = absent. */
type Part = string | Uint8Array | null | undefined;

/**
 * One argument to encode: a string or bytes is a value-only argument;
 * an object gives a name and/or a value (`null`/`undefined`/missing = absent,
 * `''` = present and empty).
 */
export type RequestArgumentInput =
  | string
  | Uint8Array
  | {
      readonly name?: string | Uint8Array | null | undefined;
      readonly value?: string | Uint8Array | null | undefined;
    };

function toBytes(part: string | Uint8Array, what: string, index: number): Uint8Array {
  if (typeof part !== 'string') {
    if (part instanceof Uint8Array) return part;
    throw unencodable(`${what} must be a string or a Uint8Array`, index);
  }
  // A lone surrogate would be written as U+FFFD and not parse back to itself.
  const bytes = encodeWellFormed(part);
  if (bytes === null) throw unencodable(`${what} contains a lone UTF-16 surrogate`, index);
  return bytes;
}

function unencodable(message: string, index: number): MiProtocolError {
  return new MiProtocolError('UNENCODABLE_ARGUMENT', `argument ${index}: ${message}`);
}

// What one pass over a name or value finds (see `scan`).
const HAS_QUOTE = 1;
const HAS_NL = 2;
const HAS_SEPARATOR = 4; // "::"
const EDGE_BLANK = 8; // a blank as first or last byte
const FLAG_BITS = 4;

/** One pass: the flags above, plus the number of `"` in the high bits. */
function scan(b: Uint8Array): number {
  const n = b.length;
  let flags = n > 0 && (isBlank(b[0]!) || isBlank(b[n - 1]!)) ? EDGE_BLANK : 0;
  let quotes = 0;
  let prev = -1;
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c === QUOTE) {
      flags |= HAS_QUOTE;
      quotes++;
    } else if (c === NL) flags |= HAS_NL;
    else if (c === COLON && prev === COLON) flags |= HAS_SEPARATOR;
    prev = c;
  }
  return flags + quotes * (1 << FLAG_BITS);
}

/**
 * Can the value be written unquoted (after `name::` or alone on its line)
 * and read back unchanged? Needs: non-empty (an empty unquoted value is
 * absent), no `"` (a parse error), no `\n` (ends the line), no blank at
 * either end (skipped / trimmed by the parser).
 */
function isPlainSafe(b: Uint8Array, s: number): boolean {
  return b.length > 0 && (s & (HAS_QUOTE | HAS_NL | EDGE_BLANK)) === 0;
}

/**
 * A quoted value can hold any bytes except that it cannot END with a
 * backslash: the closing quote would read as an escaped `\"` (PROTOCOL.md 2.2;
 * `\\` is not an escape, so there is no way to write a final backslash).
 */
function isQuotable(b: Uint8Array): boolean {
  return b.length === 0 || b[b.length - 1] !== BACKSLASH;
}

/** Size of `"` + content with each `"` as `\"` + `"`. */
function quotedSize(b: Uint8Array, s: number): number {
  return b.length + (s >>> FLAG_BITS) + 2;
}

/** How a value is written. */
const FORM = { PLAIN: 0, QUOTED: 1 } as const;
type Form = (typeof FORM)[keyof typeof FORM];

interface Planned {
  readonly name: Uint8Array | null;
  /** Write `::` before the value even without a name (value-only text containing `::`). */
  readonly separator: boolean;
  readonly value: Uint8Array | null;
  readonly form: Form;
  readonly size: number; // bytes including the final "\n"
}

/**
 * A name must read back unchanged from `NAME::`: non-empty (an empty name is
 * absent), no `"`, no `\n`, no `::` (the first `::` splits), no blank at
 * either end (trimmed). A name ending in `:` is written `NAME ::` (`a:` +
 * `::` would split after `a`; the parser right-trims the name).
 */
function checkName(b: Uint8Array, index: number): void {
  const n = b.length;
  if (n === 0) throw unencodable('an empty name cannot be written (it reads as absent)', index);
  const s = scan(b);
  if (s & EDGE_BLANK)
    throw unencodable('a name cannot start or end with a blank (it is trimmed)', index);
  if (s & HAS_QUOTE) throw unencodable("a name cannot contain '\"'", index);
  if (s & HAS_NL) throw unencodable('a name cannot contain a newline', index);
  if (s & HAS_SEPARATOR) throw unencodable('a name cannot contain "::"', index);
}

/** A name ending in `:` is followed by a space before `::` (see checkName). */
function namePadding(name: Uint8Array): number {
  return name[name.length - 1] === COLON ? 1 : 0;
}

function plan(arg: RequestArgumentInput, index: number): Planned {
  let namePart: Part;
  let valuePart: Part;
  if (typeof arg === 'string' || arg instanceof Uint8Array) {
    namePart = null;
    valuePart = arg;
  } else if (typeof arg === 'object' && arg !== null) {
    namePart = arg.name;
    valuePart = arg.value;
  } else {
    throw unencodable('must be a string, a Uint8Array or { name?, value? }', index);
  }
  const name =
    namePart === null || namePart === undefined ? null : toBytes(namePart, 'name', index);
  const value =
    valuePart === null || valuePart === undefined ? null : toBytes(valuePart, 'value', index);

  if (name !== null) {
    checkName(name, index);
    const head = name.length + namePadding(name) + 2; // NAME:: (or NAME ::)
    if (value === null) return { name, separator: true, value, form: FORM.PLAIN, size: head + 1 };
    const s = scan(value);
    // After "::" everything to the end of the line is the value, "::" included.
    if (isPlainSafe(value, s)) {
      return { name, separator: true, value, form: FORM.PLAIN, size: head + value.length + 1 };
    }
    if (isQuotable(value)) {
      return {
        name,
        separator: true,
        value,
        form: FORM.QUOTED,
        size: head + quotedSize(value, s) + 1,
      };
    }
    throw unencodable(
      "a value ending with a backslash must be written unquoted, but this one also needs quotes (blank at an end, '\"', newline)",
      index,
    );
  }

  if (value === null) {
    // PROTOCOL.md 2.3: `::` (no name, no value) is a parse error.
    throw unencodable('an argument needs a name or a value', index);
  }
  const s = scan(value);
  if (isPlainSafe(value, s) && (s & HAS_SEPARATOR) === 0) {
    return { name, separator: false, value, form: FORM.PLAIN, size: value.length + 1 };
  }
  if (isQuotable(value)) {
    return { name, separator: false, value, form: FORM.QUOTED, size: quotedSize(value, s) + 1 };
  }
  if (isPlainSafe(value, s)) {
    // Contains "::" but ends with a backslash: `::VALUE` reads as an absent
    // name and everything after the first "::" as the value (PROTOCOL.md 2.2).
    return { name, separator: true, value, form: FORM.PLAIN, size: value.length + 3 };
  }
  throw unencodable(
    "a value ending with a backslash must be written unquoted, but this one also needs quotes (blank at an end, '\"', newline)",
    index,
  );
}

/**
 * Encodes a request: `:command:\n` then one argument per line (PROTOCOL.md 2).
 * Values are quoted only when needed (empty, blank at an end, `"`, newline,
 * or `::` in a value-only argument) and `"` is escaped as `\"` inside quotes.
 * Every accepted input parses back ({@link parseRequest}) to the same names
 * and values, byte for byte, absent and empty kept apart.
 *
 * Strings are written as UTF-8; pass a Uint8Array for other bytes.
 *
 * @throws {MiProtocolError}
 *   `INVALID_COMMAND`: empty, contains `:` or `\n`, a lone surrogate, or not a string/bytes;
 *   `UNENCODABLE_ARGUMENT`: no name and no value; an empty name; a name
 *   with `"`, `\n`, `::`, a final `:` or a blank at an end; a value that
 *   would need quotes but ends with a backslash; a lone surrogate;
 *   `REQUEST_TOO_LARGE`: the result would exceed {@link MAX_DATAGRAM_SIZE}.
 */
export function encodeRequest(
  command: string | Uint8Array,
  args: readonly RequestArgumentInput[] = [],
): Uint8Array {
  let cmd: Uint8Array;
  if (typeof command === 'string') {
    const bytes = encodeWellFormed(command);
    if (bytes === null) {
      throw new MiProtocolError('INVALID_COMMAND', 'command contains a lone UTF-16 surrogate');
    }
    cmd = bytes;
  } else if (command instanceof Uint8Array) {
    cmd = command;
  } else {
    throw new MiProtocolError('INVALID_COMMAND', 'command must be a string or a Uint8Array');
  }
  // PROTOCOL.md 2.1: the name runs to the next ":" and the line must end right there.
  if (cmd.length === 0) throw new MiProtocolError('INVALID_COMMAND', 'empty command name');
  if (cmd.indexOf(COLON) >= 0) throw new MiProtocolError('INVALID_COMMAND', 'command contains ":"');
  if (cmd.indexOf(NL) >= 0)
    throw new MiProtocolError('INVALID_COMMAND', 'command contains a newline');

  const plans: Planned[] = new Array(args.length);
  let size = cmd.length + 3;
  for (let i = 0; i < args.length; i++) {
    const p = plan(args[i]!, i);
    plans[i] = p;
    size += p.size;
    if (size > MAX_DATAGRAM_SIZE) {
      throw new MiProtocolError(
        'REQUEST_TOO_LARGE',
        `encoded request exceeds ${MAX_DATAGRAM_SIZE} bytes (at argument ${i})`,
      );
    }
  }

  const out = new Uint8Array(size);
  out[0] = COLON;
  out.set(cmd, 1);
  let o = cmd.length + 1;
  out[o++] = COLON;
  out[o++] = NL;
  for (const p of plans) {
    if (p.name !== null) {
      out.set(p.name, o);
      o += p.name.length;
      if (namePadding(p.name) === 1) out[o++] = SPACE;
    }
    if (p.separator) {
      out[o++] = COLON;
      out[o++] = COLON;
    }
    const v = p.value;
    if (v !== null) {
      if (p.form === FORM.PLAIN) {
        out.set(v, o);
        o += v.length;
      } else {
        out[o++] = QUOTE;
        for (let i = 0; i < v.length; i++) {
          const c = v[i]!;
          if (c === QUOTE) out[o++] = BACKSLASH;
          out[o++] = c;
        }
        out[o++] = QUOTE;
      }
    }
    out[o++] = NL;
  }
  return out;
}
