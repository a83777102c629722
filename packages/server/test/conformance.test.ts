/**
 * Replays every vector of ../shared/conformance/requests.jsonl through a
 * running server over UNIX and UDP, and checks every reply byte for byte.
 *
 * The vectors treat the command their first line names as a known command
 * that takes input, so the server runs without core commands and with an
 * echo command under every such name. Two echoes:
 * - `hex` (all vectors): each argument becomes a node `x<hex name>:: x<hex
 *   value>` (`-` for absent) built from `rawArgs`' exact bytes, so the
 *   expected reply is computed from the vector alone, byte-exactly;
 * - the example module's string `echo` (vectors whose bytes are valid
 *   UTF-8): the expected reply is assembled here by string concatenation,
 *   not by the production encoder.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import echoModule from '../examples/commands.mjs';
import {
  createLogger,
  type MiCommandDefinition,
  type RunningServer,
  startServer,
} from '../src/index.js';
import { clientFor, type RawClient } from './helpers/raw.js';

interface Vector {
  id: string;
  request_b64: string;
  expect:
    | { ok: true; command: string; args: Array<{ name: string | null; value: string | null }> }
    | { ok: false; error: 'not_available' | 'parse_error' | 'too_large' | 'no_reply' };
}

const VECTORS_PATH = new URL('../../../../shared/conformance/requests.jsonl', import.meta.url);
const vectors: Vector[] = readFileSync(VECTORS_PATH, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Vector);

const ERROR_LINES: Readonly<Record<string, string>> = {
  not_available: '500 command not available\n',
  parse_error: '400 parse_error\n',
  too_large: '400 request too large\n',
} as const;

const latin1 = (s: string) => Buffer.from(s, 'latin1');
/** What the server's UTF-8 decoding of these bytes is (its command lookup key). */
const utf8Of = (s: string) => latin1(s).toString('utf8');
const isUtf8 = (s: string) => Buffer.from(utf8Of(s), 'utf8').equals(latin1(s));
const hexOrDash = (bytes: Uint8Array | null) =>
  bytes === null ? '-' : `x${Buffer.from(bytes).toString('hex')}`;

const stringEcho = (echoModule as readonly MiCommandDefinition[]).find((c) => c.name === 'echo');

function hexEcho(name: string): MiCommandDefinition {
  return {
    name,
    handler: (request) => ({
      nodes: request.rawArgs.map((arg) => ({
        name: hexOrDash(arg.nameBytes),
        value: hexOrDash(arg.valueBytes),
      })),
    }),
  };
}

function expectedHexReply(args: Array<{ name: string | null; value: string | null }>): Buffer {
  let out = '200 OK\n';
  for (const a of args) {
    const name = a.name === null ? '-' : `x${latin1(a.name).toString('hex')}`;
    const value = a.value === null ? '-' : `x${latin1(a.value).toString('hex')}`;
    out += `${name}:: ${value}\n`;
  }
  return Buffer.from(`${out}\n`, 'latin1');
}

function expectedStringReply(args: Array<{ name: string | null; value: string | null }>): Buffer {
  const parts: Buffer[] = [latin1('200 OK\n')];
  for (const a of args) {
    if (a.name !== null) parts.push(latin1(a.name), latin1(':: '));
    if (a.value !== null) parts.push(latin1(a.value));
    parts.push(latin1('\n'));
  }
  parts.push(latin1('\n'));
  return Buffer.concat(parts);
}

let dir: string;
let hexServer: RunningServer;
let stringServer: RunningServer;

beforeAll(async () => {
  expect(vectors.length).toBe(603);
  expect(stringEcho).toBeDefined();
  dir = await mkdtemp(join(tmpdir(), 'mi-conformance-'));
  // Every vector treats the command of a well-formed first line as known
  // (also the parse_error ones), so register every such name.
  const names = new Set<string>();
  for (const v of vectors) {
    const m = /^:([^:\n]+):\n/.exec(Buffer.from(v.request_b64, 'base64').toString('latin1'));
    if (m !== null) names.add(utf8Of(m[1] as string));
    if (v.expect.ok) expect(m?.[1]).toBe(v.expect.command);
  }
  const quiet = createLogger({ write: () => undefined });
  hexServer = await startServer({
    socket_name: [join(dir, 'hex.sock'), 'udp:127.0.0.1:0'],
    coreCommands: false,
    commands: [...names].map(hexEcho),
    logger: quiet,
  });
  stringServer = await startServer({
    socket_name: [join(dir, 'str.sock'), 'udp:[::1]:0'],
    coreCommands: false,
    commands: [...names].map((name) => ({ ...stringEcho, name })),
    logger: quiet,
  });
});

afterAll(async () => {
  await hexServer?.close();
  await stringServer?.close();
  await rm(dir, { recursive: true, force: true });
});

async function replay(client: RawClient, vector: Vector, mode: 'hex' | 'string'): Promise<void> {
  const request = Buffer.from(vector.request_b64, 'base64');
  client.send(request);
  const e = vector.expect;
  if (!e.ok && e.error === 'no_reply') {
    expect(await client.next(150), vector.id).toBeNull();
    return;
  }
  const reply = await client.next(2000);
  expect(reply, `${vector.id}: no reply`).not.toBeNull();
  let expected = e.ok
    ? mode === 'hex'
      ? expectedHexReply(e.args)
      : expectedStringReply(e.args)
    : Buffer.from(ERROR_LINES[e.error] ?? '?', 'latin1');
  // An echo of a big request may not fit in one datagram (PROTOCOL.md 4).
  if (expected.length > 65457) expected = Buffer.from('500 reply too large\n', 'latin1');
  if (reply === null || !reply.equals(expected)) {
    const show = (b: Buffer | null) => JSON.stringify(b?.toString('latin1').slice(0, 300) ?? null);
    expect.fail(
      `${vector.id}: got ${show(reply)} (${reply?.length} bytes), expected ${show(expected)} (${expected.length} bytes)`,
    );
  }
}

/** Largest UDP payload over IPv4 (65535 - 20 - 8): bigger vectors cannot be sent over UDP at all. */
const UDP_MAX = 65507;
const fits = (index: number) => (v: Vector) =>
  index === 0 || Buffer.from(v.request_b64, 'base64').length <= UDP_MAX;

it('only the 70000-byte vector is too big for UDP', () => {
  expect(vectors.filter((v) => !fits(1)(v)).map((v) => v.id)).toEqual(['hand-178']);
});

describe.each([
  ['unix', 0],
  ['udp', 1],
] as const)('conformance vectors over %s', (_label, index) => {
  it('hex echo: every vector, exact argument bytes', async () => {
    const client = await clientFor(hexServer.addresses[index] as string, dir);
    try {
      let checked = 0;
      for (const vector of vectors.filter(fits(index))) {
        await replay(client, vector, 'hex');
        checked++;
      }
      expect(checked).toBe(index === 0 ? 603 : 602);
    } finally {
      await client.close();
    }
  });

  it('string echo (the example module): every vector with valid UTF-8', async () => {
    const client = await clientFor(stringServer.addresses[index] as string, dir);
    try {
      let checked = 0;
      for (const vector of vectors.filter(fits(index))) {
        const e = vector.expect;
        if (
          e.ok &&
          !e.args.every(
            (a) => (a.name === null || isUtf8(a.name)) && (a.value === null || isUtf8(a.value)),
          )
        ) {
          continue;
        }
        await replay(client, vector, 'string');
        checked++;
      }
      expect(checked).toBeGreaterThan(500);
    } finally {
      await client.close();
    }
  });
});
