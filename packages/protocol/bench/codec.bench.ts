/// <reference types="node" />
/**
 * Legacy codec benchmark: `pnpm --filter @mi-datagram/protocol bench`
 * (runs `tsx bench/codec.bench.ts` against src). One core, one process.
 *
 * Each case runs in rounds of at least ~200 ms after a warm-up; the table
 * shows the best round (least disturbed by other load on the machine) and
 * the median round. A checksum of every result is kept so nothing is
 * optimised away.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  encodeReply,
  encodeRequest,
  type MiReplyTree,
  parseArguments,
  parseReply,
  parseRequestHead,
} from '../src/index.js';

const SHARED = fileURLToPath(new URL('../../../../shared/', import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const ROUND_NS = 200e6;

let sink = 0;

interface Result {
  name: string;
  /** Best round. */
  nsPerOp: number;
  medianNsPerOp: number;
  bytesPerOp: number;
}

function bench(name: string, bytesPerOp: number, op: () => number): Result {
  // Warm-up and calibration: find an iteration count that takes >= ROUND_NS.
  let iterations = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink += op();
    const dt = Number(process.hrtime.bigint() - t0);
    if (dt >= ROUND_NS / 4) {
      iterations = Math.max(1, Math.ceil((iterations * ROUND_NS) / dt));
      break;
    }
    iterations *= 4;
  }
  const perOp: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink += op();
    perOp.push(Number(process.hrtime.bigint() - t0) / iterations);
  }
  perOp.sort((a, b) => a - b);
  return {
    name,
    nsPerOp: perOp[0]!,
    medianNsPerOp: perOp[Math.floor(perOp.length / 2)]!,
    bytesPerOp,
  };
}

// --- inputs ------------------------------------------------------------------

const corpus: Uint8Array[] = readFileSync(`${SHARED}conformance/requests.jsonl`, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map(
    (l) =>
      new Uint8Array(Buffer.from((JSON.parse(l) as { request_b64: string }).request_b64, 'base64')),
  );
const corpusBytes = corpus.reduce((s, d) => s + d.length, 0);

/** Head + arguments; errors count as parsed (they are part of the corpus). */
function parseOne(d: Uint8Array, decode: boolean): number {
  try {
    const head = parseRequestHead(d);
    const args = parseArguments(d, head.bodyOffset);
    let n = head.command.length + args.length;
    if (decode) for (const a of args) n += (a.name?.length ?? 0) + (a.value?.length ?? 0);
    return n;
  } catch {
    return 1;
  }
}

const small = new Uint8Array(Buffer.from(':log_level:\n2\n', 'latin1'));

const bigArgs: { name: string; value: string }[] = [];
for (let i = 0; bigArgs.length < 2600; i++) {
  bigArgs.push({ name: `param${i}`, value: i % 5 === 0 ? `quoted "${i}" value` : `value-${i}` });
}
const big = encodeRequest('cache_store', bigArgs);

const whichTree: MiReplyTree = {
  code: 200,
  reason: 'OK',
  nodes:
    'get_statistics list_statistics reset_statistics uptime version pwd arg which ps kill log_level cache_store cache_fetch cache_remove event_subscribe events_list subscribers_list list_tcp_conns help list_blacklists cache_remove_chunk'
      .split(' ')
      .map((value) => ({ value })),
};
const psTree: MiReplyTree = {
  code: 200,
  reason: 'OK',
  nodes: [
    'attendant',
    'MI Datagram',
    'time_keeper',
    'timer',
    'SIP receiver udp:127.0.0.1:15060 ',
    'Timer handler',
  ].map((type, id) => ({
    name: 'Process',
    attributes: [
      ['ID', String(id)],
      ['PID', String(25768 + id)],
      ['Type', type],
    ] as const,
  })),
};
const whichBytes = encodeReply(whichTree);
const psBytes = encodeReply(psTree);

// --- run ---------------------------------------------------------------------

const results: Result[] = [
  bench(`parse corpus, lazy (${corpus.length} datagrams)`, corpusBytes, () => {
    let n = 0;
    for (const d of corpus) n += parseOne(d, false);
    return n;
  }),
  bench('parse corpus + decode every string', corpusBytes, () => {
    let n = 0;
    for (const d of corpus) n += parseOne(d, true);
    return n;
  }),
  bench('parse small `:log_level:\\n2\\n` (head + args)', small.length, () =>
    parseOne(small, false),
  ),
  bench('parse small + read command and value', small.length, () => parseOne(small, true)),
  bench(
    `parse ${(big.length / 1024).toFixed(0)} KB request, ${bigArgs.length} args`,
    big.length,
    () => parseOne(big, false),
  ),
  bench(`parse ${(big.length / 1024).toFixed(0)} KB request + decode`, big.length, () =>
    parseOne(big, true),
  ),
  bench(
    'encode request `:log_level:\\n2\\n`',
    small.length,
    () => encodeRequest('log_level', ['2']).length,
  ),
  bench(
    `encode ${(big.length / 1024).toFixed(0)} KB request`,
    big.length,
    () => encodeRequest('cache_store', bigArgs).length,
  ),
  bench(
    `encode reply which-like (${whichBytes.length} B)`,
    whichBytes.length,
    () => encodeReply(whichTree).length,
  ),
  bench(
    `encode reply ps-like (${psBytes.length} B)`,
    psBytes.length,
    () => encodeReply(psTree).length,
  ),
  bench(`parse reply which-like`, whichBytes.length, () => parseReply(whichBytes).nodes.length),
  bench(`parse reply ps-like`, psBytes.length, () => parseReply(psBytes).nodes.length),
];

const ns = (v: number) => (v < 100 ? v.toFixed(1) : v.toFixed(0));
const rows = results.map((r) => ({
  case: r.name,
  'ns/op': ns(r.nsPerOp),
  'ops/s': Math.round(1e9 / r.nsPerOp).toLocaleString('en-US'),
  'MB/s': ((r.bytesPerOp / r.nsPerOp) * 1e3).toFixed(0),
  'median ns/op': ns(r.medianNsPerOp),
}));
console.log(
  `node ${process.version}, ${ROUNDS} rounds of >= ${ROUND_NS / 1e6} ms; best round (median in the last column); MB = 10^6 bytes`,
);
console.table(rows);
if (sink === 0) console.log('(sink)');
