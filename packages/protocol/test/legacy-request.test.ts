/// <reference types="node" />
import { describe, expect, test } from 'vitest';
import {
  encodeRequest,
  isMiProtocolError,
  MAX_ARGUMENTS,
  MAX_DATAGRAM_SIZE,
  MiProtocolError,
  type MiProtocolErrorCode,
  parseArguments,
  parseRequest,
  parseRequestHead,
  type RequestArgumentInput,
} from '../src/index.js';
import { latin1, toLatin1 } from './helpers/conformance.js';

type Pair = [name: string | null, value: string | null];

/** Parses and returns [name, value] pairs as latin1 strings of the exact bytes. */
function pairs(wire: string): { command: string; args: Pair[] } {
  const r = parseRequest(latin1(wire));
  return {
    command: toLatin1(r.commandBytes)!,
    args: r.args.map((a) => [toLatin1(a.nameBytes), toLatin1(a.valueBytes)]),
  };
}

function codeOf(f: () => unknown): MiProtocolErrorCode | 'no error' {
  try {
    f();
    return 'no error';
  } catch (e) {
    if (isMiProtocolError(e)) return e.code;
    throw e;
  }
}

/**
 * One row drives three tests: encode(input) gives `wire` exactly; parse(wire)
 * gives `parsed`; parse(encode(input)) gives `parsed` (mirror). Strings in
 * `wire`/`parsed` are latin1 byte strings; `input` strings are text (UTF-8).
 */
interface Row {
  desc: string;
  input: RequestArgumentInput[];
  wire: string;
  parsed: Pair[];
}
const ROWS: Row[] = [
  { desc: 'no arguments', input: [], wire: ':cmd:\n', parsed: [] },
  { desc: 'plain value', input: ['2'], wire: ':cmd:\n2\n', parsed: [[null, '2']] },
  {
    desc: 'inner blanks stay unquoted',
    input: ['a b\tc'],
    wire: ':cmd:\na b\tc\n',
    parsed: [[null, 'a b\tc']],
  },
  {
    desc: 'named',
    input: [{ name: 'n', value: 'v' }],
    wire: ':cmd:\nn::v\n',
    parsed: [['n', 'v']],
  },
  {
    desc: 'named, absent value',
    input: [{ name: 'n' }],
    wire: ':cmd:\nn::\n',
    parsed: [['n', null]],
  },
  {
    desc: 'named, null value',
    input: [{ name: 'n', value: null }],
    wire: ':cmd:\nn::\n',
    parsed: [['n', null]],
  },
  {
    desc: 'named, empty value',
    input: [{ name: 'n', value: '' }],
    wire: ':cmd:\nn::""\n',
    parsed: [['n', '']],
  },
  { desc: 'empty value alone', input: [''], wire: ':cmd:\n""\n', parsed: [[null, '']] },
  {
    desc: 'object without name',
    input: [{ value: 'v' }],
    wire: ':cmd:\nv\n',
    parsed: [[null, 'v']],
  },
  {
    desc: 'value with "::" after a name needs no quotes',
    input: [{ name: 'a', value: 'b::c' }],
    wire: ':cmd:\na::b::c\n',
    parsed: [['a', 'b::c']],
  },
  {
    desc: 'value-only with "::" is quoted',
    input: ['a::b'],
    wire: ':cmd:\n"a::b"\n',
    parsed: [[null, 'a::b']],
  },
  {
    desc: 'value-only with "::" ending in a backslash: `::VALUE`',
    input: ['a::b\\'],
    wire: ':cmd:\n::a::b\\\n',
    parsed: [[null, 'a::b\\']],
  },
  {
    desc: 'value-only starting with "::"',
    input: ['::x'],
    wire: ':cmd:\n"::x"\n',
    parsed: [[null, '::x']],
  },
  {
    desc: 'value starting with ":" after a name',
    input: [{ name: 'a', value: ':b' }],
    wire: ':cmd:\na:::b\n',
    parsed: [['a', ':b']],
  },
  {
    desc: 'single colons are plain',
    input: ['sip:a@b:5060', ':x', 'x:'],
    wire: ':cmd:\nsip:a@b:5060\n:x\nx:\n',
    parsed: [
      [null, 'sip:a@b:5060'],
      [null, ':x'],
      [null, 'x:'],
    ],
  },
  {
    desc: 'name with inner space and colon',
    input: [{ name: 'a b:c', value: 'v' }],
    wire: ':cmd:\na b:c::v\n',
    parsed: [['a b:c', 'v']],
  },
  {
    desc: 'leading/trailing blanks are quoted',
    input: [' a', 'b ', '\tc\r', { name: 'n', value: ' v ' }],
    wire: ':cmd:\n" a"\n"b "\n"\tc\r"\n' + 'n::" v "\n',
    parsed: [
      [null, ' a'],
      [null, 'b '],
      [null, '\tc\r'],
      ['n', ' v '],
    ],
  },
  {
    desc: 'double quote is escaped',
    input: ['a"b', '"', { name: 'n', value: '"x"' }],
    wire: ':cmd:\n"a\\"b"\n"\\""\n' + 'n::"\\"x\\""\n',
    parsed: [
      [null, 'a"b'],
      [null, '"'],
      ['n', '"x"'],
    ],
  },
  {
    desc: 'backslash before a quote',
    input: ['a\\"b'],
    wire: ':cmd:\n"a\\\\"b"\n',
    parsed: [[null, 'a\\"b']],
  },
  {
    desc: 'other backslashes are literal and stay plain',
    input: ['a\\nb', 'c\\\\', 'end\\'],
    wire: ':cmd:\na\\nb\nc\\\\\nend\\\n',
    parsed: [
      [null, 'a\\nb'],
      [null, 'c\\\\'],
      [null, 'end\\'],
    ],
  },
  {
    desc: 'multi-line value is quoted',
    input: ['l1\nl2', { name: 'n', value: 'a\r\n\nb' }],
    wire: ':cmd:\n"l1\nl2"\n' + 'n::"a\r\n\nb"\n',
    parsed: [
      [null, 'l1\nl2'],
      ['n', 'a\r\n\nb'],
    ],
  },
  {
    desc: 'UTF-8 text',
    input: [{ name: '名前', value: 'Δ€ é' }],
    wire: ':cmd:\n\xe5\x90\x8d\xe5\x89\x8d::\xce\x94\xe2\x82\xac \xc3\xa9\n',
    parsed: [['\xe5\x90\x8d\xe5\x89\x8d', '\xce\x94\xe2\x82\xac \xc3\xa9']],
  },
  {
    desc: 'bytes that are not UTF-8, NUL, non-ASCII "blanks"',
    input: [latin1('\xff\x00\xfe'), { name: latin1('\x00n'), value: latin1('\xa0v\x85') }],
    wire: ':cmd:\n\xff\x00\xfe\n\x00n::\xa0v\x85\n',
    parsed: [
      [null, '\xff\x00\xfe'],
      ['\x00n', '\xa0v\x85'],
    ],
  },
  {
    desc: 'a name ending in ":" gets a space before "::" (the parser right-trims names)',
    input: [{ name: 'a:', value: 'v' }, { name: ':' }, { name: 'x:y:', value: ' q' }],
    wire: ':cmd:\na: ::v\n: ::\nx:y: ::" q"\n',
    parsed: [
      ['a:', 'v'],
      [':', null],
      ['x:y:', ' q'],
    ],
  },
  {
    desc: 'BOM bytes at the start are kept',
    input: [latin1('\xef\xbb\xbfx')],
    wire: ':cmd:\n\xef\xbb\xbfx\n',
    parsed: [[null, '\xef\xbb\xbfx']],
  },
];

describe('request vector table', () => {
  test.each(ROWS.map((r) => [r.desc, r] as const))('encode: %s', (_d, row) => {
    expect(toLatin1(encodeRequest('cmd', row.input))).toBe(row.wire);
  });
  test.each(ROWS.map((r) => [r.desc, r] as const))('parse: %s', (_d, row) => {
    expect(pairs(row.wire)).toEqual({ command: 'cmd', args: row.parsed });
  });
  test.each(ROWS.map((r) => [r.desc, r] as const))('mirror: %s', (_d, row) => {
    const back = parseRequest(encodeRequest('cmd', row.input));
    expect(back.args.map((a) => [toLatin1(a.nameBytes), toLatin1(a.valueBytes)])).toEqual(
      row.parsed,
    );
  });

  test('string forms decode the bytes as UTF-8', () => {
    const r = parseRequest(encodeRequest('cmd', [{ name: '名前', value: 'Δ€ é' }, 'a"b', '']));
    expect(r.args.map((a) => [a.name, a.value])).toEqual([
      ['名前', 'Δ€ é'],
      [null, 'a"b'],
      [null, ''],
    ]);
  });

  test('commands: string or bytes; anything but ":" and "\\n"', () => {
    expect(toLatin1(encodeRequest('get statistics'))).toBe(':get statistics:\n');
    expect(toLatin1(encodeRequest(latin1('a"\x00\xff')))).toBe(':a"\x00\xff:\n');
    expect(parseRequest(encodeRequest('命令')).command).toBe('命令');
  });
});

describe('encodeRequest refuses what the grammar cannot express', () => {
  const lone = '\ud800';
  const CASES: [string, () => unknown, MiProtocolErrorCode][] = [
    ['empty command', () => encodeRequest(''), 'INVALID_COMMAND'],
    ['":" in the command', () => encodeRequest('up:time'), 'INVALID_COMMAND'],
    ['newline in the command', () => encodeRequest('a\nb'), 'INVALID_COMMAND'],
    ['lone surrogate in the command', () => encodeRequest(`a${lone}`), 'INVALID_COMMAND'],
    ['command of the wrong type', () => encodeRequest(42 as unknown as string), 'INVALID_COMMAND'],
    ['no name, no value', () => encodeRequest('c', [{}]), 'UNENCODABLE_ARGUMENT'],
    [
      'null name and value',
      () => encodeRequest('c', [{ name: null, value: null }]),
      'UNENCODABLE_ARGUMENT',
    ],
    ['empty name', () => encodeRequest('c', [{ name: '', value: 'v' }]), 'UNENCODABLE_ARGUMENT'],
    [
      'name with leading blank',
      () => encodeRequest('c', [{ name: ' n', value: 'v' }]),
      'UNENCODABLE_ARGUMENT',
    ],
    [
      'name with trailing blank',
      () => encodeRequest('c', [{ name: 'n\t', value: 'v' }]),
      'UNENCODABLE_ARGUMENT',
    ],
    [
      'name with \\r at the end',
      () => encodeRequest('c', [{ name: 'n\r' }]),
      'UNENCODABLE_ARGUMENT',
    ],
    [
      'name with a quote',
      () => encodeRequest('c', [{ name: 'a"b', value: 'v' }]),
      'UNENCODABLE_ARGUMENT',
    ],
    [
      'name with a newline',
      () => encodeRequest('c', [{ name: 'a\nb', value: 'v' }]),
      'UNENCODABLE_ARGUMENT',
    ],
    [
      'name with "::"',
      () => encodeRequest('c', [{ name: 'a::b', value: 'v' }]),
      'UNENCODABLE_ARGUMENT',
    ],
    ['lone surrogate in a value', () => encodeRequest('c', [`x${lone}`]), 'UNENCODABLE_ARGUMENT'],
    [
      'lone low surrogate in a name',
      () => encodeRequest('c', [{ name: '\udc00', value: 'v' }]),
      'UNENCODABLE_ARGUMENT',
    ],
    ['final backslash + leading blank', () => encodeRequest('c', [' a\\']), 'UNENCODABLE_ARGUMENT'],
    [
      'final backslash + form feed at the start',
      () => encodeRequest('c', ['\fa\\']),
      'UNENCODABLE_ARGUMENT',
    ],
    ['final backslash + quote', () => encodeRequest('c', ['a"\\']), 'UNENCODABLE_ARGUMENT'],
    ['final backslash + newline', () => encodeRequest('c', ['l1\nl2\\']), 'UNENCODABLE_ARGUMENT'],
    [
      'named, final backslash + newline',
      () => encodeRequest('c', [{ name: 'n', value: 'a\n\\' }]),
      'UNENCODABLE_ARGUMENT',
    ],
    [
      'argument of the wrong type',
      () => encodeRequest('c', [42 as unknown as string]),
      'UNENCODABLE_ARGUMENT',
    ],
    [
      'null argument',
      () => encodeRequest('c', [null as unknown as string]),
      'UNENCODABLE_ARGUMENT',
    ],
    [
      'value of the wrong type',
      () => encodeRequest('c', [{ value: 1 as unknown as string }]),
      'UNENCODABLE_ARGUMENT',
    ],
    [
      'one byte over the limit',
      () => encodeRequest('c', ['x'.repeat(MAX_DATAGRAM_SIZE - 4)]),
      'REQUEST_TOO_LARGE',
    ],
    [
      'too many arguments',
      () => encodeRequest('c', new Array<string>(MAX_ARGUMENTS + 1).fill('x')),
      'REQUEST_TOO_LARGE',
    ],
  ];
  test.each(CASES)('%s', (_d, f, code) => {
    expect(codeOf(f)).toBe(code);
  });

  test('exactly MAX_DATAGRAM_SIZE bytes is accepted and parses back', () => {
    const value = 'x'.repeat(MAX_DATAGRAM_SIZE - 5); // ":c:\n" + value + "\n"
    const bytes = encodeRequest('c', [value]);
    expect(bytes.length).toBe(MAX_DATAGRAM_SIZE);
    expect(parseRequest(bytes).args[0]!.value).toBe(value);
  });

  test('MAX_ARGUMENTS arguments fit in one datagram', () => {
    // 4-byte first line, then "x\n" per argument; the last newline may go
    // (the encoder always writes it, so it fits one argument fewer).
    const wire = `:c:\n${'x\n'.repeat(MAX_ARGUMENTS)}`.slice(0, -1);
    expect(wire.length).toBe(MAX_DATAGRAM_SIZE);
    expect(parseRequest(latin1(wire)).args).toHaveLength(MAX_ARGUMENTS);
    expect(encodeRequest('c', new Array<string>(MAX_ARGUMENTS - 1).fill('x')).length).toBe(
      MAX_DATAGRAM_SIZE - 1,
    );
  });

  test('errors are MiProtocolError instances with a stable code and no offset', () => {
    try {
      encodeRequest('a:b');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MiProtocolError);
      expect(e).toBeInstanceOf(Error);
      expect((e as MiProtocolError).code).toBe('INVALID_COMMAND');
      expect((e as MiProtocolError).offset).toBeUndefined();
      expect((e as MiProtocolError).name).toBe('MiProtocolError');
    }
  });
});

describe('parseRequestHead', () => {
  test('command, exact bytes (a view) and body offset', () => {
    const d = latin1(':log_level:\n2\n');
    const head = parseRequestHead(d);
    expect(head.command).toBe('log_level');
    expect(toLatin1(head.commandBytes)).toBe('log_level');
    expect(head.commandBytes.buffer).toBe(d.buffer);
    expect(head.bodyOffset).toBe(12);
  });

  test('garbage after the head is not looked at (no-input commands)', () => {
    expect(parseRequestHead(latin1(':uptime:\ngarbage "x\n')).command).toBe('uptime');
  });

  test.each([
    ['', 'EMPTY_DATAGRAM'],
    [':cmd', 'NOT_AVAILABLE'],
    ['::\n', 'NOT_AVAILABLE'],
    [':a\nb:\n', 'NOT_AVAILABLE'],
    [':cmd:\r\n', 'NOT_AVAILABLE'],
    [':cmd:', 'NOT_AVAILABLE'],
    ['x:cmd:\n', 'NOT_AVAILABLE'],
  ] as const)('%j → %s', (wire, code) => {
    expect(codeOf(() => parseRequestHead(latin1(wire)))).toBe(code);
  });

  test('size is checked before anything else', () => {
    const big = new Uint8Array(MAX_DATAGRAM_SIZE + 1); // all NUL: not even a valid head
    expect(codeOf(() => parseRequestHead(big))).toBe('REQUEST_TOO_LARGE');
    expect(codeOf(() => parseArguments(big, 0))).toBe('REQUEST_TOO_LARGE');
    const max = new Uint8Array(MAX_DATAGRAM_SIZE);
    expect(codeOf(() => parseRequestHead(max))).toBe('NOT_AVAILABLE');
  });
});

describe('parseArguments', () => {
  test.each([
    [':cmd:\nab"c\n', 8],
    [':cmd:\nna"me::v\n', 8],
    [':cmd:\nn::a"b\n', 10],
    [':cmd:\n"abc\n', 6],
    [':cmd:\nn:: "abc', 10],
    [':cmd:\n"abc" x\n', 12],
    [':cmd:\n"a"\n  ::\n', 12],
    [':cmd:\n::', 6],
    [':cmd:\n"\\"', 6],
  ] as const)('PARSE_ERROR in %j at byte %i', (wire, offset) => {
    try {
      parseRequest(latin1(wire));
      expect.unreachable();
    } catch (e) {
      expect(isMiProtocolError(e)).toBe(true);
      expect((e as MiProtocolError).code).toBe('PARSE_ERROR');
      expect((e as MiProtocolError).offset).toBe(offset);
    }
  });

  test('bodyOffset outside the datagram is a programming error (RangeError)', () => {
    const d = latin1(':c:\n');
    expect(() => parseArguments(d, 5)).toThrow(RangeError);
    expect(() => parseArguments(d, -1)).toThrow(RangeError);
    expect(() => parseArguments(d, 1.5)).toThrow(RangeError);
    expect(parseArguments(d, 4)).toEqual([]);
  });

  test('byte views point into the datagram; escaped values are copies', () => {
    const d = latin1(':c:\nn::v\n"a\\"b"\n');
    const [a, b] = parseRequest(d).args;
    expect(a!.nameBytes!.buffer).toBe(d.buffer);
    expect(a!.valueBytes!.buffer).toBe(d.buffer);
    expect(b!.valueBytes!.buffer).not.toBe(d.buffer);
    expect(toLatin1(b!.valueBytes)).toBe('a"b');
    expect(b!.valueBytes).toBe(b!.valueBytes); // cached
  });

  test('arguments serialise as plain { name, value }', () => {
    const args = parseRequest(latin1(':c:\nn::\n""\nv\n')).args;
    expect(JSON.parse(JSON.stringify(args))).toEqual([
      { name: 'n', value: null },
      { name: null, value: '' },
      { name: null, value: 'v' },
    ]);
  });

  test('invalid UTF-8 decodes with U+FFFD; the bytes stay exact', () => {
    const [a] = parseRequest(latin1(':c:\n\xffx\xc3\n')).args;
    expect(a!.value).toBe('\ufffdx\ufffd');
    expect(toLatin1(a!.valueBytes)).toBe('\xffx\xc3');
  });

  test('long ASCII and non-ASCII values decode correctly (both decoding paths)', () => {
    const long = 'abcdefghij'.repeat(10);
    const r = parseRequest(encodeRequest('c', [long, `${long}é`, 'é', 'x'.repeat(24)]));
    expect(r.args.map((a) => a.value)).toEqual([long, `${long}é`, 'é', 'x'.repeat(24)]);
  });
});
