/**
 * JSON text writer for {@link JsonValue}: compact, keys in property order,
 * `bigint` written as its digits, strings escaped as `JSON.stringify` does
 * (lone surrogates become `\udXXX` escapes, so the output is always
 * well-formed UTF-16 and encodes to valid UTF-8).
 */

import { JsonCodecError } from './errors.js';
import { isJsonArray, type JsonValue } from './json-value.js';
import { JSON_MAX_ENCODE_DEPTH } from './limits.js';

/**
 * Writes `value` as compact JSON text.
 *
 * @throws {JsonCodecError} `UNENCODABLE` for a value that is not JSON at run
 *   time (undefined, a function, a symbol, NaN, ±Infinity) or nested deeper
 *   than {@link JSON_MAX_ENCODE_DEPTH} (which also catches cycles).
 */
export function stringifyJson(value: JsonValue): string {
  return write(value, 0);
}

function write(value: JsonValue, depth: number): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new JsonCodecError('UNENCODABLE', `${value} is not JSON`);
      return JSON.stringify(value); // -0 is written 0
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      throw new JsonCodecError('UNENCODABLE', `a ${typeof value} is not JSON`);
  }
  if (value === null) return 'null';
  if (depth >= JSON_MAX_ENCODE_DEPTH) {
    throw new JsonCodecError('UNENCODABLE', `nesting deeper than ${JSON_MAX_ENCODE_DEPTH} levels`);
  }
  if (isJsonArray(value)) {
    const parts: string[] = [];
    for (const item of value) parts.push(write(item, depth + 1));
    return `[${parts.join(',')}]`;
  }
  const parts: string[] = [];
  for (const [key, field] of Object.entries(value)) {
    parts.push(`${JSON.stringify(key)}:${write(field, depth + 1)}`);
  }
  return `{${parts.join(',')}}`;
}

/** Number of bytes `text` takes in UTF-8 (a lone surrogate counts as U+FFFD: 3). */
export function utf8ByteLength(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) length += 1;
    else if (unit < 0x800) length += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1); // NaN past the end
      if (next >= 0xdc00 && next <= 0xdfff) {
        length += 4;
        i++;
      } else length += 3;
    } else length += 3;
  }
  return length;
}
