/// <reference types="node" />
import { describe, expect, test } from 'vitest';
import {
  encodeReply,
  isMiProtocolError,
  MAX_DATAGRAM_SIZE,
  type MiNode,
  type MiProtocolErrorCode,
  type MiReplyTree,
  parseReply,
  TRANSPORT_ERROR_LINES,
  transportErrorReply,
} from '../src/index.js';
import { latin1, toLatin1 } from './helpers/conformance.js';

function codeOf(f: () => unknown): MiProtocolErrorCode | 'no error' {
  try {
    f();
    return 'no error';
  } catch (e) {
    if (isMiProtocolError(e)) return e.code;
    throw e;
  }
}

const text = (tree: MiReplyTree, indent?: string) =>
  toLatin1(encodeReply(tree, indent === undefined ? {} : { indent }));

describe('encodeReply', () => {
  test('bare success', () => {
    expect(text({ code: 200, reason: 'OK', nodes: [] })).toBe('200 OK\n\n');
  });

  test('empty reason keeps the space after the code', () => {
    expect(text({ code: 500, reason: '', nodes: [] })).toBe('500 \n\n');
  });

  test('node forms: value only, named, named without value, attributes, empty name', () => {
    const nodes: MiNode[] = [
      { value: 'v' },
      { name: 'n', value: 'v' },
      { name: 'n' },
      { name: 'n', value: null, attributes: [['a', '1']] },
      {
        value: 'v',
        attributes: [
          ['a', '1'],
          ['b c', 'd e'],
        ],
      },
      { name: '', value: 'v' },
      {},
    ];
    expect(text({ code: 200, reason: 'OK', nodes })).toBe(
      '200 OK\nv\nn:: v\nn:: \nn::  a=1\nv a=1 b c=d e\n:: v\n\n\n',
    );
  });

  test('depth first, indent per level, custom indent', () => {
    const tree: MiReplyTree = {
      code: 200,
      reason: 'OK',
      nodes: [
        { value: 'a', children: [{ value: 'b', children: [{ value: 'c' }] }, { value: 'd' }] },
        { value: 'e', children: [] },
      ],
    };
    expect(text(tree)).toBe('200 OK\na\n\tb\n\t\tc\n\td\ne\n\n');
    expect(text(tree, '  ')).toBe('200 OK\na\n  b\n    c\n  d\ne\n\n');
    expect(text(tree, '')).toBe('200 OK\na\nb\nc\nd\ne\n\n');
  });

  test('values are written raw (newlines, quotes, backslashes)', () => {
    expect(text({ code: 200, reason: 'OK', nodes: [{ name: 'v', value: 'a"\\\nb' }] })).toBe(
      '200 OK\nv:: a"\\\nb\n\n',
    );
  });

  test('UTF-8; a lone surrogate is written as U+FFFD', () => {
    expect(toLatin1(encodeReply({ code: 200, reason: 'OK', nodes: [{ value: 'é\ud800' }] }))).toBe(
      '200 OK\n\xc3\xa9\xef\xbf\xbd\n\n',
    );
  });

  test('very deep trees do not use the call stack', () => {
    let node: MiNode = { value: 'leaf' };
    for (let i = 0; i < 20000; i++) node = { children: [node] };
    const bytes = encodeReply({ code: 200, reason: 'OK', nodes: [node] }, { indent: '' });
    expect(bytes.length).toBe('200 OK\n'.length + 20000 + 'leaf\n'.length + 1);
  });

  describe('size limit', () => {
    const filler = (n: number): MiReplyTree => ({
      code: 200,
      reason: 'OK',
      nodes: [{ value: 'x'.repeat(n) }],
    });
    // "200 OK\n" + value + "\n" + "\n"
    const overhead = 9;

    test('exactly maxSize is accepted, one byte more is REPLY_TOO_LARGE', () => {
      expect(encodeReply(filler(MAX_DATAGRAM_SIZE - overhead)).length).toBe(MAX_DATAGRAM_SIZE);
      expect(codeOf(() => encodeReply(filler(MAX_DATAGRAM_SIZE - overhead + 1)))).toBe(
        'REPLY_TOO_LARGE',
      );
      expect(encodeReply(filler(91), { maxSize: 100 }).length).toBe(100);
      expect(codeOf(() => encodeReply(filler(92), { maxSize: 100 }))).toBe('REPLY_TOO_LARGE');
    });

    test('multi-byte characters are counted in bytes', () => {
      const tree: MiReplyTree = { code: 200, reason: 'OK', nodes: [{ value: '€'.repeat(30) }] };
      expect(encodeReply(tree, { maxSize: 99 }).length).toBe(99);
      expect(codeOf(() => encodeReply(tree, { maxSize: 98 }))).toBe('REPLY_TOO_LARGE');
    });

    test('many nodes: detected while building', () => {
      const nodes = Array.from({ length: 100000 }, () => ({ value: 'x' }));
      expect(codeOf(() => encodeReply({ code: 200, reason: 'OK', nodes }))).toBe('REPLY_TOO_LARGE');
    });

    test('a cyclic tree becomes too large instead of looping forever', () => {
      const node: { value: string; children: MiNode[] } = { value: 'x', children: [] };
      node.children.push(node);
      expect(codeOf(() => encodeReply({ code: 200, reason: 'OK', nodes: [node] }))).toBe(
        'REPLY_TOO_LARGE',
      );
    });

    test('a huge status line', () => {
      expect(codeOf(() => encodeReply({ code: 200, reason: 'x'.repeat(70000), nodes: [] }))).toBe(
        'REPLY_TOO_LARGE',
      );
    });
  });

  test.each([
    ['code 99', { code: 99, reason: 'x', nodes: [] }],
    ['code 1000', { code: 1000, reason: 'x', nodes: [] }],
    ['code 200.5', { code: 200.5, reason: 'x', nodes: [] }],
    ['code NaN', { code: Number.NaN, reason: 'x', nodes: [] }],
    ['code as string', { code: '200', reason: 'x', nodes: [] }],
    ['newline in reason', { code: 200, reason: 'a\nb', nodes: [] }],
    ['reason not a string', { code: 200, reason: null, nodes: [] }],
    ['nodes not an array', { code: 200, reason: 'OK', nodes: {} }],
    ['value not a string', { code: 200, reason: 'OK', nodes: [{ value: 42 }] }],
    ['name not a string', { code: 200, reason: 'OK', nodes: [{ name: 1 }] }],
    [
      'attribute not a pair of strings',
      { code: 200, reason: 'OK', nodes: [{ attributes: [['a', 1]] }] },
    ],
    ['attributes not an array', { code: 200, reason: 'OK', nodes: [{ attributes: 'a=b' }] }],
    ['children not an array', { code: 200, reason: 'OK', nodes: [{ children: {} }] }],
    ['node not an object', { code: 200, reason: 'OK', nodes: [null] }],
  ])('INVALID_REPLY: %s', (_d, tree) => {
    expect(codeOf(() => encodeReply(tree as unknown as MiReplyTree))).toBe('INVALID_REPLY');
  });
});

describe('transportErrorReply', () => {
  test('fresh bytes on every call', () => {
    const a = transportErrorReply('PARSE_ERROR');
    a[0] = 0x39;
    expect(toLatin1(transportErrorReply('PARSE_ERROR'))).toBe(TRANSPORT_ERROR_LINES.PARSE_ERROR);
    expect(transportErrorReply('PARSE_ERROR')).not.toBe(transportErrorReply('PARSE_ERROR'));
  });

  test('lines parse as the single-line form', () => {
    for (const kind of Object.keys(
      TRANSPORT_ERROR_LINES,
    ) as (keyof typeof TRANSPORT_ERROR_LINES)[]) {
      const r = parseReply(transportErrorReply(kind));
      expect(r.form).toBe('line');
      expect(`${r.code} ${r.reason}\n`).toBe(TRANSPORT_ERROR_LINES[kind]);
    }
  });

  test('unknown kind is a RangeError', () => {
    expect(() => transportErrorReply('NOPE' as 'PARSE_ERROR')).toThrow(RangeError);
  });
});

describe('parseReply: documented rules for the ambiguous cases', () => {
  const nodesOf = (wire: string, indent?: string) =>
    parseReply(latin1(wire), indent === undefined ? {} : { indent }).nodes;
  const leaf = (
    name: string | null,
    value: string | null,
    attributes: [string, string][] = [],
  ) => ({
    name,
    value,
    attributes,
    children: [],
  });

  test('a raw newline in a value reads as a new value-only node', () => {
    const bytes = encodeReply({ code: 200, reason: 'OK', nodes: [{ name: 'v', value: 'l1\nl2' }] });
    expect(parseReply(bytes).nodes).toEqual([leaf('v', 'l1'), leaf(null, 'l2')]);
  });

  test('...and its continuation takes the depth its leading tabs say (at most one deeper)', () => {
    expect(nodesOf('200 OK\na:: x\n\t\t\tcont\n\n')).toEqual([
      { ...leaf('a', 'x'), children: [leaf(null, '\t\tcont')] },
    ]);
    expect(nodesOf('200 OK\n\tfirst\n\n')).toEqual([leaf(null, '\tfirst')]);
  });

  test('name:: is split at the first ":: "', () => {
    expect(nodesOf('200 OK\na:: b:: c\n\n')).toEqual([leaf('a', 'b:: c')]);
    expect(nodesOf('200 OK\nx::y\n\n')).toEqual([leaf(null, 'x::y')]);
    expect(nodesOf('200 OK\n:: v\n\n')).toEqual([leaf('', 'v')]);
  });

  test('a value containing " x=y" reads as attributes', () => {
    expect(nodesOf('200 OK\nmybl owner=13 flags=1\n\n')).toEqual([
      leaf(null, 'mybl', [
        ['owner', '13'],
        ['flags', '1'],
      ]),
    ]);
    expect(nodesOf('200 OK\nn:: a b c=d\n\n')).toEqual([leaf('n', 'a b', [['c', 'd']])]);
  });

  test('a value whose first "=" has no space before it is all value', () => {
    expect(nodesOf('200 OK\nk=v\n\n')).toEqual([leaf(null, 'k=v')]);
    expect(nodesOf('200 OK\nuri:: sip:x;transport=udp more=1\n\n')).toEqual([
      leaf('uri', 'sip:x;transport=udp more=1'),
    ]);
  });

  test('attribute values end at their first space followed by a later "="', () => {
    expect(nodesOf('200 OK\nP::  PID=1 Log level=2 Type=SIP receiver udp:1.2.3.4:5 \n\n')).toEqual([
      leaf('P', null, [
        ['PID', '1'],
        ['Log level', '2'],
        ['Type', 'SIP receiver udp:1.2.3.4:5 '],
      ]),
    ]);
    // an "=" with no space before it stays in the attribute value
    expect(nodesOf('200 OK\nv a=b=c d=e\n\n')).toEqual([
      leaf(null, 'v', [
        ['a', 'b=c'],
        ['d', 'e'],
      ]),
    ]);
    expect(nodesOf('200 OK\nv a= =\n\n')).toEqual([
      leaf(null, 'v', [
        ['a', ''],
        ['', ''],
      ]),
    ]);
  });

  test('an empty value reads as absent', () => {
    expect(nodesOf('200 OK\nn:: \n\n\n')).toEqual([leaf('n', null), leaf(null, null)]);
  });

  test('depth from the configured indent; "" reads all at depth 0', () => {
    expect(nodesOf('200 OK\na\n  b\n\n', '  ')).toEqual([
      { ...leaf(null, 'a'), children: [leaf(null, 'b')] },
    ]);
    expect(nodesOf('200 OK\na\n\tb\n\n', '')).toEqual([leaf(null, 'a'), leaf(null, '\tb')]);
  });

  test('invalid UTF-8 reads as U+FFFD', () => {
    expect(nodesOf('200 OK\n\xff\n\n')).toEqual([leaf(null, '\ufffd')]);
  });

  test.each([
    ['', 'empty'],
    ['200 OK', 'no newline'],
    ['200 OK\nnode\n', 'tree without its empty line (truncated)'],
    ['OK\n\n', 'no code'],
    ['20 OK\n\n', 'two digits'],
    ['2000 OK\n\n', 'four digits'],
    ['099 x\n\n', 'leading zero'],
    ['200-OK\n\n', 'no space after the code'],
    ['{"jsonrpc":"2.0"}', 'JSON'],
  ])('INVALID_REPLY for %j (%s)', (wire) => {
    expect(codeOf(() => parseReply(latin1(wire)))).toBe('INVALID_REPLY');
  });

  test('a code alone is a status line with an empty reason', () => {
    expect(parseReply(latin1('200\n\n'))).toEqual({
      form: 'tree',
      code: 200,
      reason: '',
      nodes: [],
    });
  });
});
