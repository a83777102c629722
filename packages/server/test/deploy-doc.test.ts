/**
 * docs/deploy.md and config.schema.json: the unit file's ExecStart options are accepted by the
 * server's own parser and its settings fit the server (socket under its RuntimeDirectory, stop
 * timeout longer than the drain grace); the JSON Schema of --config agrees with the server's
 * validation on the documented examples and on files it refuses.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { isConfigError } from '../src/common/index.js';
import { loadConfigFile, parseCommandLine } from '../src/config/index.js';
import { SHUTDOWN_GRACE_MS } from '../src/ops/index.js';

const root = (path: string): string => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const DEPLOY = readFileSync(root('docs/deploy.md'), 'utf8');
const README = readFileSync(root('packages/server/README.md'), 'utf8');
const SCHEMA: unknown = JSON.parse(
  readFileSync(root('packages/server/config.schema.json'), 'utf8'),
);

function blocks(markdown: string, lang: string): string[] {
  return [...markdown.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map(
    (m) => m[1] ?? '',
  );
}

/** A systemd unit: section → key → values (a key may repeat). Comments and blanks skipped. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header !== null) {
      current = new Map();
      sections.set(header[1] ?? '', current);
      continue;
    }
    const eq = line.indexOf('=');
    if (current === undefined || eq < 1) throw new Error(`not a unit line: ${line}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return sections;
}

/** systemd's time span in seconds (`15`, `15s`, `1min 30s`, `500ms`). */
function seconds(span: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, sec: 1, m: 60, min: 60, h: 3600 };
  let total = 0;
  for (const [, n, unit] of span.matchAll(/(\d+(?:\.\d+)?)\s*([a-z]*)/g)) {
    total += Number(n) * (units[unit === '' || unit === undefined ? 's' : unit] ?? Number.NaN);
  }
  return total;
}

const unitText = blocks(DEPLOY, 'ini').find((b) => b.includes('[Service]')) ?? '';
const unit = parseUnit(unitText);
const service = unit.get('Service') ?? new Map<string, string[]>();
const one = (key: string): string => {
  const values = service.get(key) ?? [];
  expect(values, key).toHaveLength(1);
  return values[0] ?? '';
};

describe('docs/deploy.md unit file', () => {
  it('is a notify service that restarts on failure, with user, group and a runtime dir', () => {
    expect([...unit.keys()]).toEqual(['Unit', 'Service', 'Install']);
    expect(one('Type')).toBe('notify');
    expect(one('Restart')).toBe('on-failure');
    expect(one('User')).not.toBe('');
    expect(one('Group')).not.toBe('');
    expect(one('RuntimeDirectory')).toMatch(/^[a-z][a-z0-9-]*$/);
  });

  it('ExecStart: options the server accepts, its socket under /run/RuntimeDirectory', () => {
    const [program, ...args] = one('ExecStart').split(/\s+/);
    expect(program).toMatch(/\/mi-datagram-server$/);
    const cli = parseCommandLine(args);
    expect(cli.help || cli.version).toBe(false);
    expect(cli.logFormat).toBe('text');
    const sockets = cli.params.sockets ?? [];
    expect(sockets.length).toBeGreaterThan(0);
    for (const socket of sockets) {
      expect(socket.kind === 'unix' && socket.path).toMatch(
        new RegExp(`^/run/${one('RuntimeDirectory')}/[^/]+$`),
      );
    }
    expect(cli.params.unix_socket_group).toBe(one('Group'));
  });

  it('stops later than the server drains, and does not restart a bad configuration', () => {
    expect(seconds(one('TimeoutStopSec')) * 1000).toBeGreaterThan(SHUTDOWN_GRACE_MS);
    expect(one('RestartPreventExitStatus')).toBe('2');
  });

  it('a parser of units that can fail (self-check)', () => {
    expect(() => parseUnit('[A]\nno equals sign')).toThrow();
    expect(seconds('1min 30s')).toBe(90);
    expect(() => parseCommandLine(['--no-such-flag'])).toThrow();
  });
});

describe('config.schema.json', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  const validate = ajv.compile(SCHEMA as object);
  const dir = mkdtempSync(join(tmpdir(), 'mi-schema-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** What the server says of `config` as a --config file: null (accepted) or the error. */
  const server = (config: unknown): string | null => {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify(config));
    try {
      loadConfigFile(file);
      return null;
    } catch (error) {
      if (isConfigError(error)) return error.message;
      throw error;
    }
  };

  const examples = [...blocks(DEPLOY, 'json'), ...blocks(README, 'json')].map(
    (text) => JSON.parse(text) as unknown,
  );

  it('the docs have configuration examples (one with $schema)', () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
    expect(examples.some((e) => typeof e === 'object' && e !== null && '$schema' in e)).toBe(true);
  });

  it.each(examples.map((example, i) => [i, example]))(
    'documented example #%i: valid for the schema and for the server',
    (_i, example) => {
      expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
      expect(server(example)).toBeNull();
    },
  );

  it.each([
    [{ nosuch: 1 }],
    [{ socket_name: '/a.sock', sockets: [{ socket_name: '/b.sock' }] }],
    [{ unix_socket_mode: '0999' }],
    [{ level: 'root' }],
    [{ children_count: 0 }],
    [{ log_level: 9 }],
    [{ sockets: [{ level: 'read' }] }],
    [{ sockets: [] }],
    [{ allow_any_source: 'yes' }],
    [{ $schema: 42 }],
  ])('refused by both: %j', (config) => {
    expect(validate(config)).toBe(false);
    expect(server(config)).not.toBeNull();
  });

  it.each([
    [{ $schema: './config.schema.json', socket_name: ['/a.sock', 'udp:127.0.0.1:0'] }],
    [{ children_count: '4', unix_socket_mode: 432, unix_socket_user: 0, rate_limit: 10 }],
    [{ allow_any_source: 'true', commands: 'cmds.mjs' }],
  ])('accepted by both: %j', (config) => {
    expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
    expect(server(config)).toBeNull();
  });
});
