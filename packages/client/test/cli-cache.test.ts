/** dist/cli.cjs runs the bundle from the V8 code cache the build writes (src/cli-launcher.ts). */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, REPO, runNode } from './helpers/proc.js';

const dist = join(REPO, 'packages/client/dist');
const scratch = mkdtempSync(join(tmpdir(), 'mi-cli-cache-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the code cache of mi', () => {
  it('is built beside the bundle and accepted by this node', async () => {
    expect(existsSync(join(dist, 'cli-main.cjs.cache'))).toBe(true);
    const out = await runNode([CLI, '--version'], { env: { NODE_DEBUG: 'mi-datagram' } });
    expect(out.status).toBe(0);
    expect(out.stdout.toString()).toMatch(/^mi \d+\.\d+\.\d+ \(@mi-datagram\/client, Node\.js v/);
    expect(out.stderr).not.toContain('rejected');
  });

  it('is refused under other V8 flags, and mi then runs from the source', async () => {
    const out = await runNode(['--max-lazy', CLI, '--version'], {
      env: { NODE_DEBUG: 'mi-datagram' },
    });
    expect(out.status).toBe(0);
    expect(out.stdout.toString()).toMatch(/^mi \d+\.\d+\.\d+ /);
    expect(out.stderr).toContain('code cache');
    expect(out.stderr).toContain('rejected');
  });

  it('is optional: without it mi runs from the source', async () => {
    const copy = join(scratch, 'client');
    cpSync(join(REPO, 'packages/client/package.json'), join(copy, 'package.json'));
    cpSync(dist, join(copy, 'dist'), { recursive: true });
    rmSync(join(copy, 'dist', 'cli-main.cjs.cache'));
    const out = await runNode([join(copy, 'dist', 'cli.cjs'), '--help']);
    expect(out.status).toBe(0);
    expect(out.stdout.toString()).toContain('Usage: mi');
  });
});
