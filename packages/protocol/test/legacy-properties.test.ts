/// <reference types="node" />
/**
 * Properties (fast-check). Budget: 200 runs each, or FC_NUM_RUNS.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import {
  encodeReply,
  encodeRequest,
  formatSocketName,
  isMiProtocolError,
  type MiAttribute,
  type MiNode,
  type MiReplyTree,
  parseReply,
  parseRequest,
  parseSocketName,
  type RequestArgumentInput,
  type SocketName,
} from '../src/index.js';
import { latin1, toLatin1 } from './helpers/conformance.js';

const numRuns = Number(process.env.FC_NUM_RUNS ?? 200);
const params = { numRuns };

// --- generators -------------------------------------------------------------

/** Bytes biased toward what the grammar cares about; any 0..255 byte possible. */
const SPECIAL_BYTES = [
  0x3a, 0x3a, 0x22, 0x5c, 0x0a, 0x20, 0x09, 0x0d, 0x0b, 0x0c, 0x00, 0x61, 0xff,
];
const anyByte = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SPECIAL_BYTES) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 255 }) },
);
const bytesArb = (maxLength: number) =>
  fc.array(anyByte, { maxLength }).map((a) => Uint8Array.from(a));

/** Text biased the same way, with multi-byte and astral characters, and the odd lone surrogate. */
const SPECIAL_TEXT = [
  ':',
  '::',
  '"',
  '\\',
  '\\"',
  '\n',
  ' ',
  '\t',
  '\r',
  '\v',
  '\f',
  '\0',
  'a',
  'é',
  '€',
  '😀',
];
const textArb = (maxLength: number) =>
  fc
    .array(
      fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...SPECIAL_TEXT) },
        { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 2 }) },
        { weight: 1, arbitrary: fc.constantFrom('\ud800', '\udc00') },
      ),
      { maxLength },
    )
    .map((parts) => parts.join(''));

const partArb = fc.oneof(
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: textArb(8) },
  { weight: 3, arbitrary: bytesArb(12) },
);

const argArb: fc.Arbitrary<RequestArgumentInput> = fc.oneof(
  textArb(8),
  bytesArb(12),
  fc.record({ name: partArb, value: partArb }),
);

// --- an independent oracle for what the grammar cannot express --------------

const enc = new TextEncoder();
const toBytes = (p: string | Uint8Array) => (typeof p === 'string' ? enc.encode(p) : p);
const isBlank = (c: number | undefined) =>
  c === 0x20 || (c !== undefined && c >= 0x09 && c <= 0x0d);
const hasLoneSurrogate = (s: string) => /\p{Surrogate}/u.test(s);
const latin = (b: Uint8Array) => toLatin1(b)!;

/** Why `arg` cannot be encoded, or null if it can (PROTOCOL.md 2.2 / 2.3). */
function whyUnencodable(arg: RequestArgumentInput): string | null {
  const obj =
    typeof arg === 'string' || arg instanceof Uint8Array ? { name: null, value: arg } : arg;
  const name = obj.name ?? null;
  const value = obj.value ?? null;
  for (const p of [name, value])
    if (typeof p === 'string' && hasLoneSurrogate(p)) return 'surrogate';
  if (name === null && value === null) return 'both absent';
  if (name !== null) {
    const n = latin(toBytes(name));
    if (n === '') return 'empty name';
    if (/["\n]|::/.test(n) || isBlank(n.charCodeAt(0)) || isBlank(n.charCodeAt(n.length - 1))) {
      return 'bad name';
    }
  }
  if (value !== null) {
    const v = latin(toBytes(value));
    const needsQuotes =
      v === '' ||
      /["\n]/.test(v) ||
      isBlank(v.charCodeAt(0)) ||
      isBlank(v.charCodeAt(v.length - 1));
    if (needsQuotes && v.endsWith('\\')) return 'needs quotes but ends with a backslash';
  }
  return null;
}

function expectedPair(arg: RequestArgumentInput): [string | null, string | null] {
  const obj =
    typeof arg === 'string' || arg instanceof Uint8Array ? { name: null, value: arg } : arg;
  const conv = (p: string | Uint8Array | null | undefined) =>
    p === null || p === undefined ? null : latin(toBytes(p));
  return [conv(obj.name), conv(obj.value)];
}

const KNOWN = latin1(':log_level:\n2\n');
function parserStillWorks(): void {
  const r = parseRequest(KNOWN);
  expect(r.command).toBe('log_level');
  expect(r.args.map((a) => [a.name, a.value])).toEqual([[null, '2']]);
}

// --- properties --------------------------------------------------------------

describe('request properties', () => {
  test.prop([fc.array(argArb, { maxLength: 6 })], params)(
    'encode → parse is the identity for every accepted input; refusals are exactly the inexpressible',
    (args) => {
      const reasons = args.map(whyUnencodable);
      let bytes: Uint8Array;
      try {
        bytes = encodeRequest('cmd', args);
      } catch (e) {
        expect(isMiProtocolError(e) && e.code).toBe('UNENCODABLE_ARGUMENT');
        expect(reasons.some((r) => r !== null)).toBe(true);
        return;
      }
      expect(reasons).toEqual(args.map(() => null));
      const back = parseRequest(bytes);
      expect(back.command).toBe('cmd');
      expect(back.args.map((a) => [toLatin1(a.nameBytes), toLatin1(a.valueBytes)])).toEqual(
        args.map(expectedPair),
      );
      // string forms too, for string inputs
      args.forEach((arg, i) => {
        if (typeof arg === 'string') expect(back.args[i]!.value).toBe(arg);
      });
    },
  );

  test('the generators are not vacuous: most inputs are accepted, some are refused', () => {
    const samples = fc.sample(fc.array(argArb, { maxLength: 6 }), { numRuns: 2000, seed: 42 });
    const accepted = samples.filter((args) => args.every((a) => whyUnencodable(a) === null));
    const acceptedMulti = accepted.filter((args) => args.length >= 3);
    expect(accepted.length / samples.length).toBeGreaterThan(0.3);
    expect(accepted.length / samples.length).toBeLessThan(0.95);
    expect(acceptedMulti.length).toBeGreaterThan(100);
  });

  test.prop([fc.oneof(textArb(6), bytesArb(8))], params)(
    'commands: accepted exactly when non-empty without ":", "\\n" or a lone surrogate',
    (command) => {
      const b = latin(toBytes(command));
      const expressible =
        b !== '' && !/[:\n]/.test(b) && !(typeof command === 'string' && hasLoneSurrogate(command));
      let bytes: Uint8Array;
      try {
        bytes = encodeRequest(command, []);
      } catch (e) {
        expect(isMiProtocolError(e) && e.code).toBe('INVALID_COMMAND');
        expect(expressible).toBe(false);
        return;
      }
      expect(expressible).toBe(true);
      expect(latin(parseRequest(bytes).commandBytes)).toBe(b);
    },
  );

  const headArb = fc.oneof(
    fc.constant(':cmd:\n'),
    textArb(4).map((c) => `:${c}:\n`),
    bytesArb(6).map((b) => `:${latin(b)}:\n`),
  );
  const datagramArb = fc.oneof(
    { weight: 1, arbitrary: bytesArb(40) },
    {
      weight: 4,
      arbitrary: fc.tuple(headArb, bytesArb(60)).map(([h, body]) => {
        const head = enc.encode(h);
        const out = new Uint8Array(head.length + body.length);
        out.set(head);
        out.set(body, head.length);
        return out;
      }),
    },
  );

  test.prop([datagramArb], params)(
    'any bytes: a result or a MiProtocolError, and the parser keeps working',
    (datagram) => {
      try {
        parseRequest(datagram);
      } catch (e) {
        expect(isMiProtocolError(e)).toBe(true);
      }
      parserStillWorks();
    },
  );

  test.prop([datagramArb], params)(
    'whatever parses can be re-encoded and parses to the same arguments',
    (datagram) => {
      let parsed: ReturnType<typeof parseRequest>;
      try {
        parsed = parseRequest(datagram);
      } catch {
        return;
      }
      const again = parseRequest(
        encodeRequest(
          parsed.commandBytes,
          parsed.args.map((a) => ({ name: a.nameBytes, value: a.valueBytes })),
        ),
      );
      const view = (r: typeof parsed) => ({
        command: latin(r.commandBytes),
        args: r.args.map((a) => [toLatin1(a.nameBytes), toLatin1(a.valueBytes)]),
      });
      expect(view(again)).toEqual(view(parsed));
    },
  );
});

// --- reply round trip --------------------------------------------------------

/**
 * Trees without the ambiguities parseReply documents: no newline, tab, ":"
 * or "=" in any text, no text starting with the indent; the first attribute name and the non-last attribute
 * values have no space; an empty value is compared as absent.
 */
const word = (chars: string, maxLength = 6) =>
  fc.string({ unit: fc.constantFrom(...chars.split('')), maxLength });
const LETTERS = 'abcxyzé€';
const WITH_SPACE = `${LETTERS} `;

const attributesArb: fc.Arbitrary<MiAttribute[]> = fc
  .array(fc.tuple(word(WITH_SPACE), word(LETTERS)), { maxLength: 3 })
  .chain((middle) =>
    fc.tuple(word(LETTERS), word(WITH_SPACE)).map(([firstName, lastValue]): MiAttribute[] => {
      if (middle.length === 0) return [];
      const attrs = middle.map(([n, v]): MiAttribute => [n, v]);
      attrs[0] = [firstName, attrs[0]![1]];
      attrs[attrs.length - 1] = [attrs[attrs.length - 1]![0], lastValue];
      return attrs;
    }),
  );

const { node: nodeArb } = fc.letrec<{ node: MiNode }>((tie) => ({
  node: fc.record(
    {
      name: fc.option(word(WITH_SPACE), { nil: undefined }),
      value: fc.option(word(WITH_SPACE, 10), { nil: null }),
      attributes: attributesArb,
      children: fc.array(tie('node'), { maxLength: 3, depthIdentifier: 'tree' }),
    },
    { requiredKeys: ['value'] },
  ),
}));

const treeArb: fc.Arbitrary<MiReplyTree> = fc.record({
  code: fc.integer({ min: 100, max: 999 }),
  reason: word(`${WITH_SPACE}:=\t`, 12),
  nodes: fc.array(nodeArb, { maxLength: 4 }),
});

interface Normal {
  name: string | null;
  value: string | null;
  attributes: MiAttribute[];
  children: Normal[];
}
function normal(n: MiNode): Normal {
  return {
    name: n.name ?? null,
    value: n.value === '' ? null : (n.value ?? null),
    attributes: [...(n.attributes ?? [])],
    children: (n.children ?? []).map(normal),
  };
}

describe('reply properties', () => {
  // An indent must not be able to start a name or value (documented ambiguity).
  test.prop([treeArb, fc.constantFrom('\t', '\t\t', '. ', '-')], params)(
    'encode → parse round trip for unambiguous trees',
    (tree, indent) => {
      const back = parseReply(encodeReply(tree, { indent }), { indent });
      expect(back.form).toBe('tree');
      expect(back.code).toBe(tree.code);
      expect(back.reason).toBe(tree.reason);
      expect(back.nodes).toEqual(tree.nodes.map(normal));
    },
  );

  const anyUnit = fc.string({
    unit: fc.oneof(
      fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
      fc.constantFrom('a', ' ', '😀', '\ud800', '\udfff', 'é', '€'),
    ),
    maxLength: 8,
  });
  test.prop(
    [
      fc.string({ maxLength: 6 }).filter((r) => !r.includes('\n')),
      fc.array(
        fc.record({
          name: fc.option(anyUnit, { nil: undefined }),
          value: fc.option(anyUnit, { nil: null }),
          attributes: fc.array(fc.tuple(anyUnit, anyUnit), { maxLength: 2 }),
        }),
        { maxLength: 4 },
      ),
    ],
    params,
  )('encoded bytes = TextEncoder of the text PROTOCOL.md 3 describes', (reason, nodes) => {
    const expected =
      `200 ${reason}\n` +
      nodes
        .map(
          (n) =>
            `${n.name === undefined ? '' : `${n.name}:: `}${n.value ?? ''}` +
            n.attributes.map(([k, v]) => ` ${k}=${v}`).join('') +
            '\n',
        )
        .join('') +
      '\n';
    expect(encodeReply({ code: 200, reason, nodes })).toEqual(enc.encode(expected));
  });

  test.prop([bytesArb(80)], params)('any bytes: a reply or INVALID_REPLY', (bytes) => {
    try {
      parseReply(bytes);
    } catch (e) {
      expect(isMiProtocolError(e) && e.code).toBe('INVALID_REPLY');
    }
  });
});

// --- socket names ------------------------------------------------------------

const socketNameArb: fc.Arbitrary<SocketName> = fc.oneof(
  fc
    .string({ minLength: 1, maxLength: 30 })
    .filter((p) => !p.includes('\0') && !p.startsWith('udp:'))
    .map((path): SocketName => ({ kind: 'unix', path })),
  fc
    .tuple(fc.ipV4(), fc.integer({ min: 0, max: 65535 }))
    .map(([host, port]): SocketName => ({ kind: 'udp', host, port, family: 4 })),
  fc
    .tuple(fc.ipV6(), fc.integer({ min: 0, max: 65535 }))
    .map(([host, port]): SocketName => ({ kind: 'udp', host, port, family: 6 })),
  fc
    .tuple(fc.domain(), fc.integer({ min: 0, max: 65535 }))
    .map(([host, port]): SocketName => ({ kind: 'udp', host, port, family: 0 })),
);

describe('socket name properties', () => {
  test.prop([socketNameArb], params)('parse(format(x)) = x', (name) => {
    const text = formatSocketName(name);
    expect(parseSocketName(text)).toEqual(name);
    expect(formatSocketName(parseSocketName(text))).toBe(text);
  });
});
