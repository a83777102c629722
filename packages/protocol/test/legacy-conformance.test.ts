/// <reference types="node" />
/**
 * The shared conformance data: every request vector, and the replies captured
 * from a real OpenSIPS 2.4.11 (byte for byte for the encoder, all of them for
 * the parser).
 */
import { describe, expect, test } from 'vitest';
import {
  encodeReply,
  isMiProtocolError,
  type MiNode,
  type MiProtocolErrorCode,
  type MiReplyTree,
  parseArguments,
  parseReply,
  parseRequest,
  parseRequestHead,
  TRANSPORT_ERROR_LINES,
  transportErrorReply,
} from '../src/index.js';
import {
  latin1,
  loadReplyCases,
  loadRequestVectors,
  type RequestExpectation,
  toLatin1,
} from './helpers/conformance.js';

const ERROR_OF_CODE: Partial<Record<MiProtocolErrorCode, string>> = {
  EMPTY_DATAGRAM: 'no_reply',
  NOT_AVAILABLE: 'not_available',
  PARSE_ERROR: 'parse_error',
  REQUEST_TOO_LARGE: 'too_large',
};

/** Our parser's result in the vectors' shape, strings as latin1 of the exact bytes. */
function outcome(datagram: Uint8Array): RequestExpectation {
  try {
    const r = parseRequest(datagram);
    return {
      ok: true,
      command: toLatin1(r.commandBytes)!,
      args: r.args.map((a) => ({ name: toLatin1(a.nameBytes), value: toLatin1(a.valueBytes) })),
    };
  } catch (e) {
    if (!isMiProtocolError(e)) throw e;
    const error = ERROR_OF_CODE[e.code];
    if (error === undefined) throw e;
    return { ok: false, error } as RequestExpectation;
  }
}

describe('requests.jsonl', () => {
  const vectors = loadRequestVectors();

  test('has the 603 vectors, 92 of them marking a bug of the original', () => {
    expect(vectors).toHaveLength(603);
    expect(vectors.filter((v) => v.c_bug !== undefined)).toHaveLength(92);
  });

  test.each(vectors.map((v) => [v.id, v.desc, v] as const))('%s %s', (_id, _desc, v) => {
    const datagram = new Uint8Array(Buffer.from(v.request_b64, 'base64'));
    expect(outcome(datagram)).toEqual(v.expect);
  });

  test.each(vectors.filter((v) => v.expect.ok).map((v) => [v.id, v] as const))(
    '%s: string form is the UTF-8 decoding of the bytes',
    (_id, v) => {
      const datagram = new Uint8Array(Buffer.from(v.request_b64, 'base64'));
      const r = parseRequest(datagram);
      const utf8 = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString('utf8'));
      expect(r.command).toBe(utf8(r.commandBytes));
      for (const a of r.args) {
        expect(a.name).toBe(utf8(a.nameBytes));
        expect(a.value).toBe(utf8(a.valueBytes));
      }
    },
  );

  test('head and arguments as two steps give the same result as parseRequest', () => {
    for (const v of vectors) {
      if (!v.expect.ok) continue;
      const datagram = new Uint8Array(Buffer.from(v.request_b64, 'base64'));
      const head = parseRequestHead(datagram);
      const args = parseArguments(datagram, head.bodyOffset);
      expect(JSON.parse(JSON.stringify(args))).toEqual(
        parseRequest(datagram).args.map((a) => ({ name: a.name, value: a.value })),
      );
    }
  });
});

// ---------------------------------------------------------------------------
// replies-opensips-2.4.txt
// ---------------------------------------------------------------------------

const cases = loadReplyCases();

function replyOf(title: string): Uint8Array {
  const c = cases.find((x) => x.title === title);
  if (c === undefined || c.reply === null) throw new Error(`no reply captured for "${title}"`);
  return c.reply;
}

const value = (v: string): MiNode => ({ value: v });
const named = (name: string, v: string): MiNode => ({ name, value: v });
const ok = (nodes: MiNode[]): MiReplyTree => ({ code: 200, reason: 'OK', nodes });

const RECEIVER = 'SIP receiver udp:127.0.0.1:15060 ';
const PROCESSES: [number, string][] = [
  [25768, 'attendant'],
  [25770, 'MI Datagram'],
  [25771, 'time_keeper'],
  [25772, 'timer'],
  [25773, RECEIVER],
  [25774, 'Timer handler'],
];
const LOG_LEVEL_TABLE = ok(
  PROCESSES.map(([pid, type]) => ({
    name: 'Process',
    attributes: [
      ['PID', String(pid)],
      ['Log level', '2'],
      ['Type', type],
    ],
  })),
);

/** Trees built by hand for the captured replies (title → tree). */
const TREES: [string, MiReplyTree][] = [
  [
    'core: uptime',
    ok([
      named('Now', 'Thu Nov 26 08:58:54 2026'),
      named('Up since', 'Thu Nov 26 08:58:50 2026'),
      named('Up time', '4 [sec]'),
    ]),
  ],
  [
    'core: which (bigger reply, array of values without names)',
    ok(
      'get_statistics list_statistics reset_statistics uptime version pwd arg which ps kill log_level cache_store cache_fetch cache_remove event_subscribe events_list subscribers_list list_tcp_conns help list_blacklists cache_remove_chunk'
        .split(' ')
        .map(value),
    ),
  ],
  ['core: version', ok([named('Server', 'OpenSIPS (2.4.11 (x86_64/linux))')])],
  [
    'core: ps (named nodes with empty value + attributes)',
    ok(
      PROCESSES.map(([pid, type], id) => ({
        name: 'Process',
        value: '', // present-but-empty and absent write the same bytes
        attributes: [
          ['ID', String(id)],
          ['PID', String(pid)],
          ['Type', type],
        ],
      })),
    ),
  ],
  [
    'core: arg',
    ok(
      [
        '/usr/sbin/opensips',
        '-F',
        '-E',
        '-f',
        '/etc/opensips/unix1c.cfg',
        '-P',
        '/run/opensips/unix1c.pid',
        '-m',
        '64',
        '-M',
        '8',
      ].map(value),
    ),
  ],
  ['core: pwd', ok([named('WD', '/')])],
  ['log_level without args (table)', LOG_LEVEL_TABLE],
  ['NUL right after the first line -> body treated as empty (no args)', LOG_LEVEL_TABLE],
  ['log_level 3', ok([named('New global log level', '3')])],
  ['log_level 2 (restore)', ok([named('New global log level', '2')])],
  ['log_level per process (PID of MI Datagram process)', ok([named('New log level', '2')])],
  [
    'log_level bad value -> command returns 400 tree',
    { code: 400, reason: 'Bad parameter', nodes: [] },
  ],
  ['log_level bad pid -> 400 tree', { code: 400, reason: 'Bad parameter', nodes: [] }],
  ['help unknown -> 404 tree from command', { code: 404, reason: 'unknown MI command', nodes: [] }],
  ['cache_store too few args -> 404 tree', { code: 404, reason: 'Too few arguments', nodes: [] }],
  ['cache_store plain (cachedb_local loaded)', ok([])],
  [
    'nested reply (tab indentation, attributes)',
    ok([
      {
        name: 'List',
        value: 'mybl',
        attributes: [
          ['owner', '13'],
          ['flags', '1'],
        ],
        children: [
          {
            name: 'Rule',
            attributes: [['flags', '0']],
            children: [
              named('IP', '10.0.0.0'),
              named('Mask', '255.0.0.0'),
              named('Proto', '1'),
              named('Port', '5060'),
            ],
          },
          {
            name: 'Rule',
            attributes: [['flags', '0']],
            children: [
              named('IP', '192.168.1.1'),
              named('Mask', '255.255.255.255'),
              named('Proto', '0'),
              named('Port', '0'),
              named('Match', 'INVITE'),
            ],
          },
        ],
      },
    ]),
  ],
  [
    'cache_fetch k9',
    ok([named('key', 'k9'), named('value', 'Δ€ é')]), // UTF-8 on the wire
  ],
  [
    'cache_fetch k3',
    ok([named('key', 'k3'), named('value', 'line1 "q"\n  line2 ')]), // raw newline
  ],
];

describe('replies-opensips-2.4.txt: encodeReply reproduces the captured bytes', () => {
  test('the file was read', () => {
    expect(cases.length).toBeGreaterThan(60);
  });

  test.each(TREES)('%s', (title, tree) => {
    expect(toLatin1(encodeReply(tree))).toBe(toLatin1(replyOf(title)));
  });

  test.each(Object.keys(TRANSPORT_ERROR_LINES) as (keyof typeof TRANSPORT_ERROR_LINES)[])(
    'transport error line %s',
    (kind) => {
      expect(toLatin1(transportErrorReply(kind))).toBe(TRANSPORT_ERROR_LINES[kind]);
    },
  );

  test('the captured transport errors are our lines, byte for byte', () => {
    const captured = new Set(
      cases
        .filter((c) => c.reply !== null && !c.reply.includes(0x0a, c.reply.indexOf(0x0a) + 1))
        .map((c) => toLatin1(c.reply)),
    );
    expect([...captured].sort()).toEqual(
      [TRANSPORT_ERROR_LINES.NOT_AVAILABLE, TRANSPORT_ERROR_LINES.PARSE_ERROR].sort(),
    );
  });

  test('the exact transport lines of PROTOCOL.md 4', () => {
    expect(TRANSPORT_ERROR_LINES).toEqual({
      NOT_AVAILABLE: '500 command not available\n',
      PARSE_ERROR: '400 parse_error\n',
      REQUEST_TOO_LARGE: '400 request too large\n',
      COMMAND_FAILED: '500 command failed\n',
      REPLY_TOO_LARGE: '500 reply too large\n',
      INTERNAL_ERROR: '500 Internal server error\n',
      PERMISSION_DENIED: '403 Permission denied\n',
      RATE_LIMITED: '429 rate limit exceeded\n',
      SERVER_BUSY: '503 server busy\n',
      COMMAND_TIMED_OUT: '504 command timed out\n',
    });
  });
});

describe('replies-opensips-2.4.txt: parseReply reads every captured reply', () => {
  const replies = cases.filter((c) => c.reply !== null);

  test.each(replies.map((c, i) => [i, c.title, c.reply!] as const))(
    '#%i %s',
    (_i, _title, bytes) => {
      const r = parseReply(bytes);
      const text = toLatin1(bytes)!;
      expect(r.form).toBe(text.endsWith('\n\n') ? 'tree' : 'line');
      expect(`${r.code} ${r.reason}`).toBe(text.slice(0, text.indexOf('\n')));
      if (r.form === 'line') expect(r.nodes).toEqual([]);
    },
  );

  test('trees built above parse back to the same structure', () => {
    const list = parseReply(replyOf('nested reply (tab indentation, attributes)'));
    expect(list.nodes).toHaveLength(1);
    const root = list.nodes[0]!;
    expect(root).toMatchObject({
      name: 'List',
      value: 'mybl',
      attributes: [
        ['owner', '13'],
        ['flags', '1'],
      ],
    });
    expect(root.children.map((c) => c.children.length)).toEqual([4, 5]);
    expect(root.children[1]!.children[4]).toEqual({
      name: 'Match',
      value: 'INVITE',
      attributes: [],
      children: [],
    });
  });

  test('ps: named node, empty value, attributes; last attribute value keeps its spaces', () => {
    const ps = parseReply(replyOf('core: ps (named nodes with empty value + attributes)'));
    expect(ps.nodes[4]).toEqual({
      name: 'Process',
      value: null,
      attributes: [
        ['ID', '4'],
        ['PID', '25773'],
        ['Type', RECEIVER],
      ],
      children: [],
    });
  });

  test('log_level table: an attribute name with a space ("Log level")', () => {
    const t = parseReply(replyOf('log_level without args (table)'));
    expect(t.nodes.map((n) => n.attributes)).toEqual(
      PROCESSES.map(([pid, type]) => [
        ['PID', String(pid)],
        ['Log level', '2'],
        ['Type', type],
      ]),
    );
  });

  test('get_statistics: names containing ":" split at the first ":: "', () => {
    const s = parseReply(replyOf('get_statistics shmem:'));
    expect(s.nodes[0]).toMatchObject({ name: 'shmem:total_size', value: '67108864' });
  });

  test('status-only tree reply and single-line replies', () => {
    expect(parseReply(replyOf('cache_store plain (cachedb_local loaded)'))).toEqual({
      form: 'tree',
      code: 200,
      reason: 'OK',
      nodes: [],
    });
    expect(parseReply(latin1('400 Bad parameter\n\n'))).toEqual({
      form: 'tree',
      code: 400,
      reason: 'Bad parameter',
      nodes: [],
    });
    expect(parseReply(replyOf('unknown command'))).toEqual({
      form: 'line',
      code: 500,
      reason: 'command not available',
      nodes: [],
    });
  });
});
