import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  isJsonCodecError,
  isJsonObject,
  JSON_MAX_DEPTH,
  JsonCodecError,
  type JsonCodecErrorCode,
  type JsonValue,
  safeJsonParse,
  stringifyJson,
  utf8ByteLength,
} from '../src/index.js';
import { bytes, utf8 } from './jsonrpc-helpers.js';

/** The error `fn` throws (fails the test when it returns). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

function parseError(input: string | Uint8Array): JsonCodecError {
  const e = thrown(() => safeJsonParse(input));
  expect(e).toBeInstanceOf(JsonCodecError);
  if (!(e instanceof JsonCodecError)) throw e;
  return e;
}

// [input, expected value]
const VALID: readonly [string, JsonValue][] = [
  ['null', null],
  ['true', true],
  ['false', false],
  ['0', 0],
  ['-0', -0],
  ['12', 12],
  ['-12.5e2', -1250],
  ['1E+2', 100],
  ['1e-999', 0],
  ['9007199254740991', 9007199254740991],
  ['-9007199254740991', -9007199254740991],
  ['9007199254740992', 9007199254740992n],
  ['18446744073709551616', 18446744073709551616n],
  ['-18446744073709551616', -18446744073709551616n],
  ['1e300', 1e300],
  ['1.0', 1],
  ['""', ''],
  ['"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t"', 'a"b\\c/d\b\f\n\r\t'],
  ['"\\u00e9\\u20AC"', 'é€'],
  ['"\\ud83d\\ude00"', '😀'],
  ['"\\ud800"', '\ud800'],
  ['"é€😀"', 'é€😀'],
  [' \t\r\n[ 1 , "x" ] \n', [1, 'x']],
  ['[]', []],
  ['{}', {}],
  ['{"a":{"b":[null,{}]}}', { a: { b: [null, {}] } }],
];

// [input, code, offset]
const INVALID: readonly [string, Uint8Array, JsonCodecErrorCode, number | undefined][] = [
  ['empty', bytes(), 'UNEXPECTED_END', 0],
  ['blank only', bytes('  '), 'UNEXPECTED_END', 2],
  ['trailing data', bytes('{} x'), 'UNEXPECTED_BYTE', 3],
  ['two values', bytes('1 2'), 'UNEXPECTED_BYTE', 2],
  ['trailing comma array', bytes('[1,]'), 'UNEXPECTED_BYTE', 3],
  ['trailing comma object', bytes('{"a":1,}'), 'UNEXPECTED_BYTE', 7],
  ['single quotes', bytes("{'a':1}"), 'UNEXPECTED_BYTE', 1],
  ['bare key', bytes('{a:1}'), 'UNEXPECTED_BYTE', 1],
  ['missing colon', bytes('{"a" 1}'), 'UNEXPECTED_BYTE', 5],
  ['unclosed array', bytes('[1'), 'UNEXPECTED_END', 2],
  ['unclosed object', bytes('{"a":1'), 'UNEXPECTED_END', 6],
  ['unclosed string', bytes('"abc'), 'UNEXPECTED_END', 4],
  ['leading zero', bytes('01'), 'UNEXPECTED_BYTE', 1],
  ['plus sign', bytes('+1'), 'UNEXPECTED_BYTE', 0],
  ['bare minus', bytes('-'), 'UNEXPECTED_END', 1],
  ['dot without digits', bytes('1.'), 'UNEXPECTED_END', 2],
  ['leading dot', bytes('.5'), 'UNEXPECTED_BYTE', 0],
  ['exponent without digits', bytes('1e+'), 'UNEXPECTED_END', 3],
  ['NaN', bytes('NaN'), 'UNEXPECTED_BYTE', 0],
  ['Infinity', bytes('Infinity'), 'UNEXPECTED_BYTE', 0],
  ['truncated literal', bytes('tru'), 'UNEXPECTED_END', 3],
  ['wrong literal', bytes('nul1'), 'UNEXPECTED_BYTE', 3],
  ['raw newline in string', bytes('"a\nb"'), 'UNEXPECTED_BYTE', 2],
  ['raw NUL in string', bytes('"', [0], '"'), 'UNEXPECTED_BYTE', 1],
  ['unknown escape', bytes('"\\x"'), 'INVALID_ESCAPE', 1],
  ['short \\u escape', bytes('"\\u12"'), 'INVALID_ESCAPE', 1],
  ['non-hex \\u escape', bytes('"\\u12g4"'), 'INVALID_ESCAPE', 1],
  ['BOM', bytes([0xef, 0xbb, 0xbf], '{}'), 'UNEXPECTED_BYTE', 0],
  ['vertical tab is not JSON whitespace', bytes('\v{}'), 'UNEXPECTED_BYTE', 0],
  ['non-ASCII outside a string', bytes([0xc3, 0xa9]), 'UNEXPECTED_BYTE', 0],
  ['lone continuation byte', bytes('"', [0x80], '"'), 'INVALID_UTF8', 1],
  ['0xFF', bytes('"', [0xff], '"'), 'INVALID_UTF8', 1],
  ['overlong NUL C0 80', bytes('"', [0xc0, 0x80], '"'), 'INVALID_UTF8', 1],
  ['overlong E0 80 AF', bytes('"', [0xe0, 0x80, 0xaf], '"'), 'INVALID_UTF8', 1],
  ['encoded surrogate ED A0 80', bytes('"', [0xed, 0xa0, 0x80], '"'), 'INVALID_UTF8', 1],
  ['above U+10FFFF F4 90 80 80', bytes('"', [0xf4, 0x90, 0x80, 0x80], '"'), 'INVALID_UTF8', 1],
  ['F5 lead', bytes('"', [0xf5, 0x80, 0x80, 0x80], '"'), 'INVALID_UTF8', 1],
  ['truncated sequence', bytes('"', [0xe2, 0x82], '"'), 'INVALID_UTF8', 1],
  ['sequence cut by the end', bytes('"', [0xe2, 0x82]), 'INVALID_UTF8', 1],
  ['1e999', bytes('1e999'), 'NUMBER_OUT_OF_RANGE', 0],
  ['-1e999 in array', bytes('[-1e999]'), 'NUMBER_OUT_OF_RANGE', 1],
  ['duplicate key', bytes('{"a":1,"a":2}'), 'DUPLICATE_KEY', 7],
  ['duplicate __proto__', bytes('{"__proto__":1,"__proto__":2}'), 'DUPLICATE_KEY', 15],
  ['duplicate after escape', bytes('{"a":1,"\\u0061":2}'), 'DUPLICATE_KEY', 7],
  ['65 levels', bytes('['.repeat(65), ']'.repeat(65)), 'TOO_DEEP', 64],
];

describe('safeJsonParse: valid input', () => {
  it.each(VALID)('%s', (input, expected) => {
    expect(safeJsonParse(input)).toEqual(expected);
    expect(safeJsonParse(utf8(input))).toEqual(expected);
  });

  it('keeps -0 and bigint types exactly', () => {
    expect(Object.is(safeJsonParse('-0'), -0)).toBe(true);
    expect(typeof safeJsonParse('9007199254740992')).toBe('bigint');
    expect(typeof safeJsonParse('9007199254740992.0')).toBe('number');
    expect(typeof safeJsonParse('1e20')).toBe('number');
  });

  it('gives objects a null prototype', () => {
    const value = safeJsonParse('{"a":{"b":1}}');
    expect(Object.getPrototypeOf(value)).toBeNull();
    if (!isJsonObject(value)) throw new Error('not an object');
    expect(Object.getPrototypeOf(value.a)).toBeNull();
  });

  it(`accepts exactly ${JSON_MAX_DEPTH} levels of nesting by default`, () => {
    const deep = '['.repeat(JSON_MAX_DEPTH) + ']'.repeat(JSON_MAX_DEPTH);
    expect(() => safeJsonParse(deep)).not.toThrow();
    const objects = '{"a":'.repeat(JSON_MAX_DEPTH) + '1' + '}'.repeat(JSON_MAX_DEPTH);
    expect(() => safeJsonParse(objects)).not.toThrow();
    expect(parseError(`{"a":${objects}}`).code).toBe('TOO_DEEP');
  });

  it('honours maxDepth and maxBytes options', () => {
    expect(() => safeJsonParse('[[1]]', { maxDepth: 2 })).not.toThrow();
    const e = thrown(() => safeJsonParse('[[[1]]]', { maxDepth: 2 }));
    expect(isJsonCodecError(e) && e.code).toBe('TOO_DEEP');
    expect(() => safeJsonParse('"abc"', { maxBytes: 5 })).not.toThrow();
    const big = thrown(() => safeJsonParse('"abcd"', { maxBytes: 5 }));
    expect(isJsonCodecError(big) && big.code).toBe('TOO_LARGE');
    // The limit counts UTF-8 bytes, also for string input: "é" is 4 bytes.
    const multibyte = thrown(() => safeJsonParse('"é"', { maxBytes: 3 }));
    expect(isJsonCodecError(multibyte) && multibyte.code).toBe('TOO_LARGE');
    expect(() => safeJsonParse('1', { maxDepth: 0 })).toThrow(RangeError);
    expect(() => safeJsonParse('1', { maxDepth: 1001 })).toThrow(RangeError);
  });
});

describe('safeJsonParse: invalid input', () => {
  it.each(INVALID)('%s', (_name, input, code, offset) => {
    const e = parseError(input);
    expect(e.code).toBe(code);
    expect(e.offset).toBe(offset);
  });

  it('refuses a lone surrogate in string input', () => {
    expect(parseError('"\ud800"').code).toBe('INVALID_UTF8');
  });

  it('is usable again after an error', () => {
    expect(parseError('[1,').code).toBe('UNEXPECTED_END');
    expect(safeJsonParse('[1]')).toEqual([1]);
  });
});

describe('safeJsonParse: properties', () => {
  test.prop([fc.uint8Array({ maxLength: 200 })], { numRuns: 2000 })(
    'arbitrary bytes: a value or a JsonCodecError, nothing else',
    (data) => {
      try {
        safeJsonParse(data);
      } catch (e) {
        expect(isJsonCodecError(e)).toBe(true);
      }
    },
  );

  const jsonText = fc.jsonValue({ maxDepth: 8 }).map((v) => JSON.stringify(v));
  // Any byte of a valid JSON text replaced: still only JsonCodecError.
  test.prop([jsonText, fc.nat(), fc.integer({ min: 0, max: 255 })], { numRuns: 1000 })(
    'mutated JSON: a value or a JsonCodecError',
    (source, at, byte) => {
      const data = utf8(source);
      if (data.length > 0) data[at % data.length] = byte;
      try {
        safeJsonParse(data);
      } catch (e) {
        expect(isJsonCodecError(e)).toBe(true);
      }
    },
  );

  /** bigint → number, so that results compare with JSON.parse. */
  function asNumbers(value: JsonValue): unknown {
    if (typeof value === 'bigint') return Number(value);
    if (Array.isArray(value)) return value.map(asNumbers);
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asNumbers(v)]));
    }
    return value;
  }

  test.prop([jsonText], { numRuns: 1000 })('agrees with JSON.parse on valid JSON', (source) => {
    expect(asNumbers(safeJsonParse(utf8(source)))).toEqual(JSON.parse(source));
  });

  test.prop([jsonText], { numRuns: 1000 })(
    "stringifyJson(safeJsonParse(text)) gives JSON.stringify's text back",
    (source) => {
      const written = stringifyJson(safeJsonParse(source));
      expect(written).toBe(source);
      expect(utf8ByteLength(written)).toBe(utf8(written).length);
    },
  );
});

describe('stringifyJson', () => {
  it.each([
    ['bigint', 18446744073709551616n, '18446744073709551616'],
    ['-0', -0, '0'],
    ['lone surrogate escaped', '\ud800x', '"\\ud800x"'],
    ['control characters', '\u0000\n', '"\\u0000\\n"'],
    [
      'null-prototype object',
      safeJsonParse('{"__proto__":1,"b":[true]}'),
      '{"__proto__":1,"b":[true]}',
    ],
  ] as const)('%s', (_name, value, expected) => {
    expect(stringifyJson(value)).toBe(expected);
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
  ])('%s is UNENCODABLE', (_name, value) => {
    const e = thrown(() => stringifyJson(value));
    expect(isJsonCodecError(e) && e.code).toBe('UNENCODABLE');
  });

  it('refuses a cycle with UNENCODABLE instead of overflowing the stack', () => {
    const cycle: JsonValue[] = [];
    cycle.push(cycle);
    const e = thrown(() => stringifyJson(cycle));
    expect(isJsonCodecError(e) && e.code).toBe('UNENCODABLE');
  });

  it('counts UTF-8 bytes', () => {
    expect(utf8ByteLength('aé€😀')).toBe(1 + 2 + 3 + 4);
    expect(utf8ByteLength('\ud800')).toBe(3);
  });
});
