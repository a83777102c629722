/**
 * Hostile datagram generator: mutated conformance vectors, random bytes,
 * truncated, duplicated and repeated requests, oversize and boundary-size
 * datagrams, empty datagrams, broken and deeply nested JSON, plus the fault
 * commands (throw, hang, slow). Deterministic for a given seed.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encodeRequest, MAX_DATAGRAM_SIZE } from '@mi-datagram/protocol';
import { type Expectation, type OracleContext, predict } from './oracle.js';
import type { Rng } from './random.js';

/** The shared conformance vectors, relative to the package: ../../../shared/conformance. */
export const CONFORMANCE_FILE = fileURLToPath(
  new URL('../../../../shared/conformance/requests.jsonl', import.meta.url),
);

export type Transport = 'unix' | 'udp';

/** Largest datagram a soak client sends: UNIX up to what the socket accepts, UDP 65507. */
export const MAX_SEND: Readonly<Record<Transport, number>> = { unix: 200_000, udp: 65_507 };

export interface SoakItem {
  readonly data: Uint8Array;
  readonly category: string;
  readonly expect: Expectation;
}

const enc = new TextEncoder();
const bytes = (s: string): Uint8Array => enc.encode(s);

function concat(...parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(
    Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))),
  );
}

/** Loads the request vectors; `:cmd:` is renamed `:echo:` so their arguments are really parsed. */
export function loadVectors(file = CONFORMANCE_FILE): Uint8Array[] {
  const out: Uint8Array[] = [];
  const cmd = Buffer.from(':cmd:\n');
  for (const text of readFileSync(file, 'utf8').split('\n')) {
    if (text.trim() === '') continue;
    const v = JSON.parse(text) as { request_b64?: unknown };
    if (typeof v.request_b64 !== 'string') continue;
    const raw = Buffer.from(v.request_b64, 'base64');
    out.push(
      raw.subarray(0, cmd.length).equals(cmd)
        ? concat(bytes(':echo:\n'), raw.subarray(cmd.length))
        : new Uint8Array(raw),
    );
  }
  return out;
}

const TOKENS = [
  '"',
  '\\',
  '\\"',
  '::',
  ':',
  '\n',
  '\r',
  '\r\n',
  '\t',
  ' ',
  '\0',
  '""',
  'name::',
  '::\n',
  '{',
  '[',
].map(bytes);
const TOKENS_BIN = [new Uint8Array([0xff]), new Uint8Array([0xc3]), new Uint8Array([0xe2, 0x82])];
const COMMAND_NAMES = [
  'echo',
  'echo',
  'echo',
  'version',
  'which',
  'uptime',
  'ps',
  'pwd',
  'arg',
  'help',
  'cache_fetch',
  'nope',
  'ECHO',
  '',
  'echo ',
];
const TAILS = ['name::', 'name::  ', '::', 'x::\t', '"', '"abc', 'a::"b\\"', '\\', '::""'].map(
  bytes,
);

function mutate(rng: Rng, input: Uint8Array): Uint8Array {
  let d = input;
  const n = rng.int(1, 3);
  for (let i = 0; i < n; i++) {
    const at = rng.int(0, d.length);
    switch (rng.int(0, 6)) {
      case 0: {
        if (d.length === 0) break;
        const c = d.slice();
        c[Math.min(at, d.length - 1)] = rng.int(0, 255);
        d = c;
        break;
      }
      case 1:
        d = concat(
          d.subarray(0, at),
          rng.pick(rng.chance(0.8) ? TOKENS : TOKENS_BIN),
          d.subarray(at),
        );
        break;
      case 2:
        d = concat(d.subarray(0, at), d.subarray(Math.min(d.length, at + rng.int(1, 8))));
        break;
      case 3: {
        const end = rng.int(at, Math.min(d.length, at + 40));
        d = concat(d.subarray(0, end), d.subarray(at, end), d.subarray(end));
        break;
      }
      case 4:
        d = concat(d, rng.pick(TAILS));
        break;
      case 5: {
        const nl = d.indexOf(0x0a);
        const body = nl >= 0 ? d.subarray(nl + 1) : d;
        d = concat(bytes(`:${rng.pick(COMMAND_NAMES)}:\n`), body);
        break;
      }
      default:
        d = d.subarray(0, at);
    }
  }
  return d;
}

function randomArgs(rng: Rng, count: number): Array<{ name?: string; value?: string }> {
  const out: Array<{ name?: string; value?: string }> = [];
  for (let i = 0; i < count; i++) {
    const value = rng.chance(0.2) ? `v ${i} "q"\nline` : `value${i}-${rng.int(0, 1e6)}`;
    out.push(rng.chance(0.5) ? { name: `n${i}`, value } : { value });
  }
  return out;
}

function validEcho(rng: Rng, count = rng.int(0, 12)): Uint8Array {
  return encodeRequest('echo', randomArgs(rng, count));
}

function nested(rng: Rng, wanted: number): string {
  const open = rng.chance(0.5) ? '[' : '{"a":';
  // Stay within what both transports carry (UDP 65507): the depth is the point here, not the size.
  const depth = Math.min(wanted, Math.floor(30_000 / open.length));
  const close = open === '[' ? ']' : '}';
  return (
    open.repeat(depth) +
    (rng.chance(0.5) ? '1' : '') +
    close.repeat(rng.chance(0.7) ? depth : rng.int(0, depth))
  );
}

function rpc(method: string, params: unknown, id: string | undefined): string {
  const p = params === undefined ? '' : `,"params":${JSON.stringify(params)}`;
  const i = id === undefined ? '' : `,"id":${id}`;
  return `{"jsonrpc":"2.0","method":${JSON.stringify(method)}${p}${i}}`;
}

const IDS = ['1', '0', '-5', '"abc"', 'null', '12345678901234567890', '1.5', '"ü"'];
const BAD_IDS = ['true', '{}', '[1]'];
const METHODS = ['echo', 'echo', 'version', 'which', 'uptime', 'ps', 'nope', 'soak_throw', ''];

function jsonValid(rng: Rng): string {
  const id = rng.chance(0.15) ? undefined : rng.chance(0.05) ? rng.pick(BAD_IDS) : rng.pick(IDS);
  const params = rng.pick<unknown>([
    undefined,
    [],
    ['a', 'b'],
    { name: 'v', n: 1 },
    [null, true, 1.5, [1, 'x'], { k: 'v' }],
    'notparams',
    null,
  ]);
  return rpc(rng.pick(METHODS), params, id);
}

function jsonBroken(rng: Rng): string {
  const valid = rng.chance(0.5) ? jsonValid(rng) : `[${jsonValid(rng)},${jsonValid(rng)}]`;
  switch (rng.int(0, 9)) {
    case 0:
      return valid.slice(0, rng.int(1, valid.length - 1));
    case 1:
      return valid.replace('"method"', '"method":1,"method"');
    case 2:
      return `{"jsonrpc":"2.0","method":"echo","params":[1e999],"id":1}`;
    case 3:
      return `\uFEFF${valid}`; // BOM: legacy text
    case 4:
      return `  \n\t${valid}`;
    case 5:
      return '[]';
    case 6:
      return `[${Array.from({ length: rng.int(99, 102) }, () => rpc('version', undefined, '1')).join(',')}]`;
    case 7:
      return `{"jsonrpc":"2.0","method":"echo","params":{"__proto__":{"x":1},"constructor":"c"},"id":"p"}`;
    case 8:
      return ['{', '}', '[', ']', '"', ':', ',', '1', 'true', 'nul', '\\u12']
        .map(() => rng.pick(['{', '}', '[', ']', '"', ':', ',', '1', 'tru', 'nul', '\\u12']))
        .join('');
    default:
      return valid.replace(/"/g, () => (rng.chance(0.1) ? "'" : '"'));
  }
}

/** Picks one hostile request (or two for a repeat) for `transport`. */
export class HostileGenerator {
  readonly #rng: Rng;
  readonly #vectors: readonly Uint8Array[];
  readonly #ctx: OracleContext;
  readonly #faultCommands: boolean;

  constructor(
    rng: Rng,
    vectors: readonly Uint8Array[],
    ctx: OracleContext,
    options: { readonly faultCommands?: boolean } = {},
  ) {
    this.#rng = rng;
    this.#vectors = vectors;
    this.#ctx = ctx;
    this.#faultCommands = options.faultCommands ?? true;
  }

  /** Items to send in order on one client: usually one, two for a repeated request. */
  next(transport: Transport): SoakItem[] {
    for (;;) {
      const [category, data] = this.#raw(transport);
      if (data.length > MAX_SEND[transport]) continue; // e.g. a mutated 70 000-byte vector on UDP
      const truncated = transport === 'unix' && data.length > MAX_DATAGRAM_SIZE;
      const expect = predict(data, this.#ctx, truncated);
      if (expect.kind === 'forbidden') continue;
      const item = { data, category, expect };
      return category === 'repeated' ? [item, item] : [item];
    }
  }

  #raw(transport: Transport): [string, Uint8Array] {
    const rng = this.#rng;
    const r = rng.next();
    const vector = (): Uint8Array => rng.pick(this.#vectors);
    if (r < 0.2) return ['vector', vector()];
    if (r < 0.45) return ['vector-mutated', mutate(rng, vector())];
    if (r < 0.52) return ['random-bytes', rng.bytes(rng.int(1, rng.chance(0.9) ? 300 : 4000))];
    if (r < 0.56)
      return ['random-after-head', concat(bytes(':echo:\n'), rng.bytes(rng.int(1, 200)))];
    if (r < 0.62) {
      const d = validEcho(rng);
      return ['truncated', d.subarray(0, rng.int(1, Math.max(1, d.length - 1)))];
    }
    if (r < 0.65) {
      const d = rng.chance(0.5) ? validEcho(rng) : vector();
      return ['duplicated', concat(d, d)];
    }
    if (r < 0.67) return ['repeated', rng.chance(0.5) ? validEcho(rng) : vector()];
    if (r < 0.685) {
      const size = rng.int(MAX_DATAGRAM_SIZE + 1, MAX_SEND[transport]);
      const head = rng.chance(0.7)
        ? bytes(':echo:\n')
        : bytes('{"jsonrpc":"2.0","method":"echo","params":["');
      const d = new Uint8Array(size).fill(0x78);
      d.set(head);
      return ['oversize', d];
    }
    if (r < 0.695) {
      // Around the limit: in-size requests whose echo reply is too large, or just in.
      const size = rng.int(MAX_DATAGRAM_SIZE - 40, MAX_DATAGRAM_SIZE);
      const d = new Uint8Array(size).fill(0x79);
      d.set(bytes(':echo:\n'));
      if (rng.chance(0.5)) d.set(bytes(':version:\n'));
      return ['boundary', d];
    }
    if (r < 0.735) return ['empty', new Uint8Array(0)];
    if (r < 0.8) return ['json-broken', bytes(jsonBroken(rng))];
    if (r < 0.83) {
      const depth = rng.chance(0.5) ? rng.int(55, 70) : rng.int(70, 30_000);
      return ['json-nested', bytes(nested(rng, depth))];
    }
    if (r < 0.9) {
      const batch = rng.chance(0.25);
      const text = batch
        ? `[${Array.from({ length: rng.int(1, 5) }, () => jsonValid(rng)).join(',')}]`
        : jsonValid(rng);
      return ['json-valid', bytes(text)];
    }
    if (r < 0.96) {
      const name = rng.pick(['version', 'which', 'uptime', 'ps', 'pwd', 'arg', 'help']);
      const args = name === 'help' && rng.chance(0.7) ? [rng.pick(['echo', 'which', 'nope'])] : [];
      return ['core', encodeRequest(name, args)];
    }
    if (!this.#faultCommands) return ['valid-echo', validEcho(rng)];
    if (r < 0.975) return ['throw', bytes(':soak_throw:\n')];
    if (r < 0.99) return ['slow', bytes(`:soak_slow:\n${rng.int(1, 40)}\n`)];
    if (r < 0.9905) return ['hang', bytes(':soak_hang:\n')];
    return ['valid-echo', validEcho(rng)];
  }
}
