// Dropping privileges after bind (run_as) and the rate-limited "transport refused a reply" line.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DatagramTransport } from '@mi-datagram/protocol';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/common/index.js';
import { validateParams } from '../src/config/index.js';
import { dropPrivileges, type Logger, parseRunAs } from '../src/ops/index.js';
import { sendJsonRpc } from '../src/request/send.js';
import type { RequestState } from '../src/request/state.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const isRoot = process.getuid?.() === 0;

describe('run_as', () => {
  it('parses user and user:group, refuses anything else', () => {
    expect(parseRunAs('nobody', 't')).toEqual({ user: 'nobody', group: null });
    expect(parseRunAs('nobody:nogroup', 't')).toEqual({ user: 'nobody', group: 'nogroup' });
    expect(parseRunAs(65534, 't')).toEqual({ user: '65534', group: null });
    for (const bad of ['', 'a:b:c', 'root\0x', ':g', 'u:', 'a b']) {
      expect(() => parseRunAs(bad, 't')).toThrow(ConfigError);
    }
    expect(validateParams({ run_as: 'nobody:nogroup' }, 't').run_as).toEqual({
      user: 'nobody',
      group: 'nogroup',
    });
  });

  it('sets groups, group, then user, and refuses when root could be regained', () => {
    const calls: string[] = [];
    let uid = 0;
    const proc = {
      getuid: () => uid,
      geteuid: () => uid,
      setgroups: (g: number[]) => calls.push(`groups ${g.join(',')}`),
      setgid: (g: number) => calls.push(`gid ${g}`),
      setuid: (u: number) => {
        calls.push(`uid ${u}`);
        uid = u;
      },
    };
    expect(() => dropPrivileges({ user: '65534', group: '65534' }, proc)).toThrow(/regained/);
    expect(calls.slice(0, 3)).toEqual(['groups 65534', 'gid 65534', 'uid 65534']);
  });

  it.runIf(isRoot)(
    'really leaves root: a root-only file is unreadable afterwards',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'srv-priv-'));
      try {
        const secret = join(dir, 'secret');
        writeFileSync(secret, 'x');
        chmodSync(secret, 0o600);
        const out = await new Promise<string>((res) => {
          execFile(
            process.execPath,
            [
              '--import',
              'tsx',
              join(here, 'fixtures', 'drop-privileges.ts'),
              'nobody:nogroup',
              secret,
            ],
            { cwd: resolve(here, '..'), encoding: 'utf8', timeout: 60_000 },
            (_e, stdout, stderr) => res(stdout.trim() || stderr),
          );
        });
        expect(JSON.parse(out)).toEqual({ uid: 65534, gid: 65534, uid_now: 65534, read: 'EACCES' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    60_000,
  );
});

describe('transport refused a reply', () => {
  it('is logged at most once per interval, with the count left out', () => {
    const lines: { msg: string; fields: unknown }[] = [];
    const logger = {
      level: 2,
      error: (msg: string, fields?: unknown) => lines.push({ msg, fields }),
      debug: () => undefined,
    } as unknown as Logger;
    const ctx = { logger, dropped: 0, replied: 0, noReply: 0, unanswerable: 0 };
    const transport = {
      send: () => {
        throw new Error('socket path too long');
      },
    } as unknown as DatagramTransport<string>;
    for (let i = 0; i < 1000; i++) {
      sendJsonRpc(ctx as unknown as RequestState, transport, '/x', new Uint8Array(1));
    }
    expect(ctx.dropped).toBe(1000);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.msg).toBe('transport refused a reply');
  });
});
