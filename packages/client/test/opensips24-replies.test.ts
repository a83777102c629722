/**
 * Compatibility with a real OpenSIPS 2.4 mi_datagram: a fake server on a real UNIX socket answers
 * with the reply datagrams recorded from OpenSIPS 2.4.11 (../shared/conformance), byte for byte,
 * and the client and the `mi` CLI must read and print every one of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiClient } from '../src/index.js';
import { answerWith, type FakeUnixServer, fakeUnixServer } from './helpers/fake-unix.js';
import { BUSY_MACHINE_TIMEOUT, runCli, tempDir } from './helpers/proc.js';
import { loadRecordedExchanges, type RecordedExchange } from './helpers/recorded.js';

const exchanges = loadRecordedExchanges();
let dir: ReturnType<typeof tempDir>;
let server: FakeUnixServer;

/** The fake server picks the recorded reply by the command name `case-N`. */
function recordedFor(request: Buffer): Buffer {
  const match = /^:case-(\d+):\n/.exec(request.toString('latin1'));
  const exchange = match === null ? undefined : exchanges[Number(match[1])];
  return exchange?.reply ?? Buffer.from('500 command not available\n');
}

beforeAll(async () => {
  dir = tempDir();
  server = await fakeUnixServer(dir.path, (req, peer, t) => answerWith(t, peer, recordedFor(req)));
});

afterAll(async () => {
  await server.close();
  dir.remove();
});

function statusOf(reply: Buffer): { code: number; reason: string } {
  const line = reply.toString('latin1').split('\n')[0] ?? '';
  return { code: Number(line.slice(0, 3)), reason: line.slice(4) };
}

const cases = exchanges.map((exchange, index) => ({ index, exchange, title: exchange.title }));

describe('recorded OpenSIPS 2.4.11 replies', () => {
  it('the recording holds both reply forms', () => {
    expect(exchanges.length).toBeGreaterThan(50);
    expect(exchanges.some((e) => !e.reply.toString('latin1').endsWith('\n\n'))).toBe(true);
    expect(exchanges.some((e) => e.reply.toString('latin1').endsWith('\n\n'))).toBe(true);
  });

  it('one header in the recording disagrees with its literal (known data issue, literal used)', () => {
    // `core: arg` says 113 bytes; its literal holds 100 (the argv paths were likely shortened).
    expect(
      exchanges.filter((e) => e.sizeMismatch !== undefined).map((e) => [e.title, e.sizeMismatch]),
    ).toEqual([['core: arg', { kind: 'REP', declared: 113 }]]);
  });

  it.each(cases)('MiClient reads #$index: $title', async ({ index, exchange }) => {
    const client = new MiClient(server.path, { timeout: BUSY_MACHINE_TIMEOUT });
    try {
      const reply = await client.call(`case-${index}`);
      const expected = statusOf(exchange.reply);
      expect(reply.code).toBe(expected.code);
      expect(Buffer.from(reply.raw).equals(exchange.reply)).toBe(true);
      // PROTOCOL.md 3: transport errors are one line without the final empty line.
      const lineForm = !exchange.reply.toString('latin1').endsWith('\n\n');
      expect(reply.form).toBe(lineForm ? 'line' : 'tree');
      if (lineForm) expect(reply.nodes).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('reads tree shapes as OpenSIPS writes them (values, attributes, nesting)', async () => {
    const find = (title: string): number => exchanges.findIndex((e) => e.title.startsWith(title));
    const client = new MiClient(server.path, { timeout: BUSY_MACHINE_TIMEOUT });
    try {
      const which = await client.call(`case-${find('core: which')}`);
      expect(which.nodes).toHaveLength(21);
      expect(which.nodes.every((n) => n.name === null)).toBe(true);
      expect(which.nodes[0]?.value).toBe('get_statistics');

      const ps = await client.call(`case-${find('core: ps')}`);
      expect(ps.nodes[0]).toMatchObject({
        name: 'Process',
        value: null,
        attributes: [
          ['ID', '0'],
          ['PID', '25768'],
          ['Type', 'attendant'],
        ],
      });

      const bl = await client.call(`case-${find('nested reply')}`);
      expect(bl.nodes[0]).toMatchObject({ name: 'List', value: 'mybl' });
      expect(bl.nodes[0]?.children).toHaveLength(2);
      expect(bl.nodes[0]?.children?.[1]?.children?.map((n) => n.name)).toEqual([
        'IP',
        'Mask',
        'Proto',
        'Port',
        'Match',
      ]);

      const bad = await client.call(`case-${find('log_level bad value')}`);
      expect(bad).toMatchObject({ code: 400, reason: 'Bad parameter', form: 'tree', nodes: [] });
      const parse = await client.call(`case-${find('parse error: unterminated quote')}`);
      expect(parse).toMatchObject({ code: 400, reason: 'parse_error', form: 'line' });
    } finally {
      await client.close();
    }
  });

  it('sends the same request bytes as recorded where the request is ours to write', async () => {
    const client = new MiClient(server.path, { timeout: BUSY_MACHINE_TIMEOUT });
    const plain = (e: RecordedExchange) => {
      const text = e.request.toString('latin1');
      const m = /^:([a-z_]+):\n((?:[A-Za-z0-9_.:-]+\n)*)$/.exec(text);
      if (m === null || /::$/m.test(text)) return undefined;
      const args = (m[2] ?? '').split('\n').filter((l) => l !== '');
      return { command: m[1] ?? '', args };
    };
    const writable = exchanges
      .map((e) => ({ e, req: plain(e) }))
      .filter((x) => x.req !== undefined);
    expect(writable.length).toBeGreaterThan(20);
    try {
      for (const { e, req } of writable) {
        if (req === undefined) continue;
        const before = server.received.length;
        const args = req.args.map((a) => {
          const at = a.indexOf('::');
          return at < 0 ? a : { name: a.slice(0, at), value: a.slice(at + 2) };
        });
        await client.call(req.command, args, { timeout: 1000 });
        expect(server.received[before]?.data.toString('latin1')).toBe(e.request.toString('latin1'));
      }
    } finally {
      await client.close();
    }
  });
});

describe('mi CLI prints recorded OpenSIPS 2.4.11 replies', () => {
  it.each(cases)('#$index: $title', async ({ index, exchange }) => {
    const out = await runCli(['-s', server.path, `case-${index}`]);
    // The reply exactly as received: status line, tree, final empty line (or none for a line).
    expect(out.stdout.equals(exchange.reply)).toBe(true);
    expect(out.stderr).toBe('');
    const { code } = statusOf(exchange.reply);
    expect(out.status).toBe(code >= 200 && code < 300 ? 0 : 1);
  });

  it('--json prints the result as JSON-RPC would carry it; errors go to stderr', async () => {
    const ps = exchanges.findIndex((e) => e.title.startsWith('core: ps'));
    const out = await runCli(['-s', server.path, '--json', `case-${ps}`]);
    expect(out.status).toBe(0);
    // Generic tree → JSON mapping (the command name case-N is not `ps`): Process nodes by name.
    const json = JSON.parse(out.stdout.toString('utf8'));
    expect(json.Process[5]).toEqual({ ID: '5', PID: '25774', Type: 'Timer handler' });
    const line = exchanges.findIndex((e) => e.title === 'unknown command');
    const err = await runCli(['-s', server.path, '--json', `case-${line}`]);
    expect(err.status).toBe(1);
    expect(err.stdout.length).toBe(0);
    expect(err.stderr).toBe(`mi: ${server.path}: error 500: command not available\n`);
  });
});
