import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  type JsonValue,
  jsonToReplyTree,
  jsonToTree,
  type MiNode,
  replyToJsonRpc,
  safeJsonParse,
  treeToJson,
} from '../src/index.js';

/** JSON text with key order, for order-sensitive comparison (engine's JSON.stringify). */
const json = (value: JsonValue): string => JSON.stringify(value);

// Exact in both directions: treeToJson(tree) = json and jsonToTree(json) = tree.
const BOTH_WAYS: readonly [string, MiNode[], JsonValue][] = [
  ['empty tree', [], []],
  [
    'which: value-only nodes → array of strings',
    [{ value: 'uptime' }, { value: 'which' }],
    ['uptime', 'which'],
  ],
  [
    'uptime: named nodes → object',
    [
      { name: 'Now', value: 'Thu Nov 26 08:33:50 2026' },
      { name: 'Up since', value: 'Thu Nov 26 08:33:46 2026' },
      { name: 'Up time', value: '4 [sec]' },
    ],
    {
      Now: 'Thu Nov 26 08:33:50 2026',
      'Up since': 'Thu Nov 26 08:33:46 2026',
      'Up time': '4 [sec]',
    },
  ],
  [
    'repeated name → array',
    [
      { name: 'a', value: '1' },
      { name: 'a', value: '2' },
    ],
    { a: ['1', '2'] },
  ],
  ['absent value → null', [{ name: 'a' }, { name: 'b', value: '' }], { a: null, b: '' }],
  ['unnamed absent value → null item', [{}, { value: 'x' }], [null, 'x']],
  [
    'named children → nested object',
    [{ name: 'Server', children: [{ name: 'Name', value: 'x' }] }],
    { Server: { Name: 'x' } },
  ],
  [
    'own value beside children → "value" key',
    [{ name: 'dialog', value: 'hash=1:2', children: [{ name: 'state', value: '4' }] }],
    { dialog: { value: 'hash=1:2', state: '4' } },
  ],
  [
    'unnamed children only → array, wrapped once under its key',
    [{ name: 'list', children: [{ value: 'a' }, { value: 'b' }] }],
    { list: [['a', 'b']] },
  ],
  [
    'repeated name with array bodies',
    [
      { name: 'l', children: [{ value: 'a' }] },
      { name: 'l', children: [{ value: 'b' }, { value: 'c' }] },
    ],
    { l: [['a'], ['b', 'c']] },
  ],
  [
    'unnamed nodes beside named ones → "" key',
    [{ name: 'Count', value: '2' }, { value: 'a' }, { value: 'b' }],
    { Count: '2', '': ['a', 'b'] },
  ],
  ['one unnamed beside named', [{ value: 'a' }, { name: 'b', value: 'c' }], { '': 'a', b: 'c' }],
  ['unnamed node with named children', [{ children: [{ name: 'a', value: '1' }] }], [{ a: '1' }]],
  ['unnamed node with unnamed children', [{ children: [{ value: 'x' }] }], [['x']]],
  [
    'own value beside unnamed children',
    [{ name: 'n', value: 'v', children: [{ value: 'c' }] }],
    { n: { value: 'v', '': 'c' } },
  ],
  [
    'deeper',
    [
      {
        name: 'a',
        children: [{ name: 'b', children: [{ name: 'c', value: 'd' }, { name: 'c' }] }],
      },
    ],
    { a: { b: { c: ['d', null] } } },
  ],
  ['top-level node named "value" is ordinary', [{ name: 'value', value: 'x' }], { value: 'x' }],
];

// treeToJson(tree) = json, but jsonToTree(json) = back ≠ tree: the documented lossy cases.
const TREE_LOSSY: readonly [string, MiNode[], JsonValue, MiNode[]][] = [
  [
    'attributes become fields, read back as children (legacy ps)',
    [
      {
        name: 'Process',
        attributes: [
          ['ID', '0'],
          ['PID', '123'],
          ['Type', 'main'],
        ],
      },
      {
        name: 'Process',
        attributes: [
          ['ID', '1'],
          ['PID', '124'],
          ['Type', 'udp'],
        ],
      },
    ],
    {
      Process: [
        { ID: '0', PID: '123', Type: 'main' },
        { ID: '1', PID: '124', Type: 'udp' },
      ],
    },
    [
      {
        name: 'Process',
        children: [
          { name: 'ID', value: '0' },
          { name: 'PID', value: '123' },
          { name: 'Type', value: 'main' },
        ],
      },
      {
        name: 'Process',
        children: [
          { name: 'ID', value: '1' },
          { name: 'PID', value: '124' },
          { name: 'Type', value: 'udp' },
        ],
      },
    ],
  ],
  [
    'value, attributes and children merged in that order',
    [{ name: 'n', value: 'v', attributes: [['k', '1']], children: [{ name: 'c', value: '2' }] }],
    { n: { value: 'v', k: '1', c: '2' } },
    [
      {
        name: 'n',
        value: 'v',
        children: [
          { name: 'k', value: '1' },
          { name: 'c', value: '2' },
        ],
      },
    ],
  ],
  [
    'interleaved names are grouped',
    [
      { name: 'a', value: '1' },
      { name: 'b', value: '2' },
      { name: 'a', value: '3' },
    ],
    { a: ['1', '3'], b: '2' },
    [
      { name: 'a', value: '1' },
      { name: 'a', value: '3' },
      { name: 'b', value: '2' },
    ],
  ],
  [
    'a child named "value" reads back as the own value',
    [{ name: 's', children: [{ name: 'value', value: '3' }] }],
    { s: { value: '3' } },
    [{ name: 's', value: '3' }],
  ],
  [
    'own value and a child named "value" collide into an array',
    [{ name: 's', value: 'v', children: [{ name: 'value', value: 'w' }] }],
    { s: { value: ['v', 'w'] } },
    [
      {
        name: 's',
        children: [
          { name: 'value', value: 'v' },
          { name: 'value', value: 'w' },
        ],
      },
    ],
  ],
  [
    'attribute names collide with child names into an array',
    [{ name: 'n', attributes: [['c', '1']], children: [{ name: 'c', value: '2' }] }],
    { n: { c: ['1', '2'] } },
    [
      {
        name: 'n',
        children: [
          { name: 'c', value: '1' },
          { name: 'c', value: '2' },
        ],
      },
    ],
  ],
  [
    'empty name is the unnamed key',
    [
      { name: '', value: 'x' },
      { name: 'b', value: 'y' },
    ],
    { '': 'x', b: 'y' },
    [{ value: 'x' }, { name: 'b', value: 'y' }],
  ],
  [
    'array-index names come first (JS property order)',
    [
      { name: 'b', value: '1' },
      { name: '1', value: '2' },
    ],
    { 1: '2', b: '1' },
    [
      { name: '1', value: '2' },
      { name: 'b', value: '1' },
    ],
  ],
  [
    'empty lists are absent',
    [{ name: 'a', children: [], attributes: [] }],
    { a: null },
    [{ name: 'a' }],
  ],
  ['null name is unnamed', [{ name: null, value: 'x', children: null }], ['x'], [{ value: 'x' }]],
];

// jsonToTree(json) = tree, but treeToJson(tree) = back ≠ json.
const JSON_LOSSY: readonly [string, JsonValue, MiNode[], JsonValue][] = [
  [
    'numbers and booleans become their JSON text',
    { ID: 0, PID: 123, big: 18446744073709551616n, ok: true, f: -1.5e-7 },
    [
      { name: 'ID', value: '0' },
      { name: 'PID', value: '123' },
      { name: 'big', value: '18446744073709551616' },
      { name: 'ok', value: 'true' },
      { name: 'f', value: '-1.5e-7' },
    ],
    { ID: '0', PID: '123', big: '18446744073709551616', ok: 'true', f: '-1.5e-7' },
  ],
  [
    'JSON-first ps: one node per process, fields as children',
    {
      Processes: [
        { ID: 0, PID: 123, Type: 'main' },
        { ID: 1, PID: 124, Type: 'udp' },
      ],
    },
    [
      {
        name: 'Processes',
        children: [
          { name: 'ID', value: '0' },
          { name: 'PID', value: '123' },
          { name: 'Type', value: 'main' },
        ],
      },
      {
        name: 'Processes',
        children: [
          { name: 'ID', value: '1' },
          { name: 'PID', value: '124' },
          { name: 'Type', value: 'udp' },
        ],
      },
    ],
    {
      Processes: [
        { ID: '0', PID: '123', Type: 'main' },
        { ID: '1', PID: '124', Type: 'udp' },
      ],
    },
  ],
  ['a one-item array under a key collapses', { a: ['x'] }, [{ name: 'a', value: 'x' }], { a: 'x' }],
  [
    'an empty array under a key disappears',
    { a: [], b: 'c' },
    [{ name: 'b', value: 'c' }],
    { b: 'c' },
  ],
  ['empty array and object bodies become null', [[], {}], [{}, {}], [null, null]],
  [
    'a "value" member holding a scalar is the own value',
    { s: { value: 5 } },
    [{ name: 's', value: '5' }],
    { s: '5' },
  ],
  [
    'a "value" member holding an object is a child',
    { s: { value: { x: 'y' } } },
    [{ name: 's', children: [{ name: 'value', children: [{ name: 'x', value: 'y' }] }] }],
    { s: { value: { x: 'y' } } },
  ],
  ['top-level scalar → one unnamed node', 'x', [{ value: 'x' }], ['x']],
  ['top-level number', 42, [{ value: '42' }], ['42']],
  ['top-level null → no nodes', null, [], []],
  ['top-level {} → no nodes', {}, [], []],
  ['only the "" key', { '': ['a', 'b'] }, [{ value: 'a' }, { value: 'b' }], ['a', 'b']],
];

describe('tree ↔ JSON: exact both ways', () => {
  it.each(BOTH_WAYS)('%s', (_name, tree, value) => {
    expect(json(treeToJson(tree))).toBe(json(value));
    expect(jsonToTree(value)).toEqual(tree);
  });
});

describe('tree → JSON: documented lossy cases', () => {
  it.each(TREE_LOSSY)('%s', (_name, tree, value, back) => {
    expect(json(treeToJson(tree))).toBe(json(value));
    expect(jsonToTree(treeToJson(tree))).toEqual(back);
  });
});

describe('JSON → tree: documented lossy cases', () => {
  it.each(JSON_LOSSY)('%s', (_name, value, tree, back) => {
    expect(jsonToTree(value)).toEqual(tree);
    // bigint-free on the way back: compare as text.
    expect(json(treeToJson(jsonToTree(value)))).toBe(json(back));
  });
});

describe('tree ↔ JSON: output shape', () => {
  it('produces null-prototype objects with own keys', () => {
    const value = treeToJson([
      { name: '__proto__', value: 'x' },
      { name: 'constructor', value: 'y' },
    ]);
    expect(Object.getPrototypeOf(value)).toBeNull();
    expect(json(value)).toBe('{"__proto__":"x","constructor":"y"}');
  });

  it('jsonToTree writes no empty or null fields', () => {
    const nodes = jsonToTree(safeJsonParse('{"a":null,"b":[],"c":{},"d":[null,"x"]}'));
    expect(nodes).toStrictEqual([
      { name: 'a' },
      { name: 'c' },
      { name: 'd' },
      { name: 'd', value: 'x' },
    ]);
  });
});

describe('replyToJsonRpc / jsonToReplyTree', () => {
  it.each([
    [
      '200 with nodes → result',
      { code: 200, reason: 'OK', nodes: [{ value: 'a' }] },
      { jsonrpc: '2.0', result: ['a'], id: 1 },
    ],
    [
      '200 without nodes → "OK"',
      { code: 200, reason: 'OK', nodes: [] },
      { jsonrpc: '2.0', result: 'OK', id: 1 },
    ],
    [
      '204 is success too',
      { code: 204, reason: 'Done', nodes: [] },
      { jsonrpc: '2.0', result: 'OK', id: 1 },
    ],
    [
      '400 Bad parameter → error with MI code and reason',
      { code: 400, reason: 'Bad parameter', nodes: [] },
      { jsonrpc: '2.0', error: { code: 400, message: 'Bad parameter' }, id: 1 },
    ],
    [
      '500 with nodes → data',
      { code: 500, reason: 'Failed', nodes: [{ name: 'why', value: 'x' }] },
      { jsonrpc: '2.0', error: { code: 500, message: 'Failed', data: { why: 'x' } }, id: 1 },
    ],
    [
      '199 is not success',
      { code: 199, reason: 'Odd', nodes: [] },
      { jsonrpc: '2.0', error: { code: 199, message: 'Odd' }, id: 1 },
    ],
  ] as const)('%s', (_name, reply, expected) => {
    expect(replyToJsonRpc(reply, 1)).toEqual(expected);
  });

  it('keeps a string id', () => {
    expect(replyToJsonRpc({ code: 200, reason: 'OK', nodes: [] }, '17')).toMatchObject({
      id: '17',
    });
  });

  it('derives the legacy tree of a JSON-first result', () => {
    expect(jsonToReplyTree('OK')).toEqual({ code: 200, reason: 'OK', nodes: [] });
    expect(jsonToReplyTree({ WD: '/tmp' })).toEqual({
      code: 200,
      reason: 'OK',
      nodes: [{ name: 'WD', value: '/tmp' }],
    });
    expect(jsonToReplyTree(['uptime', 'which'])).toEqual({
      code: 200,
      reason: 'OK',
      nodes: [{ value: 'uptime' }, { value: 'which' }],
    });
  });

  it('round-trips reply → JSON-RPC result → reply', () => {
    const reply = { code: 200, reason: 'OK', nodes: [{ name: 'Up time', value: '4 [sec]' }] };
    const response = replyToJsonRpc(reply, 1);
    if (!('result' in response)) throw new Error('not a result');
    expect(jsonToReplyTree(response.result)).toEqual(reply);
    const empty = replyToJsonRpc({ code: 200, reason: 'OK', nodes: [] }, 1);
    if (!('result' in empty)) throw new Error('not a result');
    expect(jsonToReplyTree(empty.result)).toEqual({ code: 200, reason: 'OK', nodes: [] });
  });
});

// ---- property tests over the round-trip preconditions (README "Tree ↔ JSON") ----

/** A name that round-trips: non-empty, not an array index, not "value". */
const nameArb = fc
  .string({ minLength: 1, maxLength: 5 })
  .filter((s) => s !== 'value' && !/^\d+$/.test(s));

type Body = { value?: string; children?: MiNode[] };

function bodyArb(depth: number): fc.Arbitrary<Body> {
  const value = fc.option(fc.string({ maxLength: 4 }), { nil: undefined });
  const children = depth <= 0 ? fc.constant<MiNode[]>([]) : levelArb(depth - 1);
  return fc.tuple(value, children).map(([v, c]) => ({
    ...(v === undefined ? {} : { value: v }),
    ...(c.length > 0 ? { children: c } : {}),
  }));
}

/**
 * A level meeting the preconditions: no attributes; either all nodes
 * unnamed, or nodes with the same name (unnamed counting as one name)
 * contiguous.
 */
function levelArb(depth: number): fc.Arbitrary<MiNode[]> {
  const allUnnamed = fc.array(bodyArb(depth), { maxLength: 3 });
  const grouped = fc
    .uniqueArray(nameArb, { maxLength: 3 })
    .chain((names) =>
      fc.tuple(
        fc.tuple(
          ...names.map((name) =>
            fc
              .array(bodyArb(depth), { minLength: 1, maxLength: 3 })
              .map((bodies) => bodies.map((b): MiNode => ({ name, ...b }))),
          ),
        ),
        fc.array(bodyArb(depth), { maxLength: 2 }),
        fc.nat(3),
      ),
    )
    .map(([namedGroups, unnamed, at]) => {
      const groups: MiNode[][] = [...namedGroups];
      groups.splice(at % (groups.length + 1), 0, unnamed);
      return groups.flat();
    });
  return fc.oneof(allUnnamed, grouped);
}

/** JSON meeting the preconditions: string/null leaves, no empty containers below the top, etc. */
const jsonArbs = fc.letrec<{ body: JsonValue; field: JsonValue; top: JsonValue }>((tie) => ({
  body: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ maxLength: 4 }),
    fc.constant(null),
    fc.array(tie('body'), { minLength: 1, maxLength: 3 }),
    fc.dictionary(nameArb, tie('field'), { minKeys: 1, maxKeys: 3 }),
  ),
  field: fc.oneof(
    { depthSize: 'small' },
    tie('body').filter((b) => !Array.isArray(b)),
    fc.array(tie('body'), { minLength: 2, maxLength: 3 }),
    fc.array(tie('body'), { minLength: 1, maxLength: 3 }).map((a): JsonValue => [a]),
  ),
  top: fc.oneof(
    fc.array(tie('body'), { maxLength: 3 }),
    fc.dictionary(nameArb, tie('field'), { minKeys: 1, maxKeys: 3 }),
  ),
}));

function cloneNode(node: MiNode): MiNode {
  return { ...node, ...(node.children ? { children: node.children.map(cloneNode) } : {}) };
}

describe('tree ↔ JSON: properties', () => {
  test.prop([levelArb(3)], { numRuns: 1000 })('tree → JSON → tree is the identity', (tree) => {
    expect(jsonToTree(treeToJson(tree))).toEqual(tree);
  });

  test.prop([jsonArbs.top], { numRuns: 1000 })('JSON → tree → JSON is the identity', (value) => {
    expect(json(treeToJson(jsonToTree(value)))).toBe(json(value));
  });

  test.prop([levelArb(3)], { numRuns: 300 })('deterministic: same tree, same JSON text', (tree) => {
    expect(json(treeToJson(tree))).toBe(json(treeToJson(tree.map(cloneNode))));
  });
});
