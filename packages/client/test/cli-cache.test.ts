/** dist/cli.cjs runs the bundle from the V8 code cache the build writes (src/cli-launcher.ts). */
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { codeCacheFile } from '../src/cli-launcher-paths.js';
import { CLI, REPO, runNode } from './helpers/proc.js';

const dist = join(REPO, 'packages/client/dist');
const bundle = join(dist, 'cli-main.cjs');
/** The build's Node may differ from this one (CI reuses the build on another Node). */
const ours = existsSync(codeCacheFile(bundle, process.versions.v8));
const scratch = mkdtempSync(join(tmpdir(), 'mi-cli-cache-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the code cache of mi', () => {
  it('is built beside the bundle, for the V8 of the Node that built it', () => {
    const caches = readdirSync(dist).filter((name) => /^cli-main\.cjs\.v8-.+\.cache$/.test(name));
    expect(caches).toHaveLength(1);
  });

  it('is accepted by the Node that built it, not read by another', async () => {
    const out = await runNode([CLI, '--version'], { env: { NODE_DEBUG: 'mi-datagram' } });
    expect(out.status).toBe(0);
    expect(out.stdout.toString()).toMatch(/^mi \d+\.\d+\.\d+ \(@mi-datagram\/client, Node\.js v/);
    expect(out.stderr).not.toContain('rejected');
  });

  it('is refused under other V8 flags, and mi then runs from the source', async () => {
    if (!ours) return;
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
    for (const name of readdirSync(join(copy, 'dist'))) {
      if (name.endsWith('.cache')) rmSync(join(copy, 'dist', name));
    }
    const out = await runNode([join(copy, 'dist', 'cli.cjs'), '--help']);
    expect(out.status).toBe(0);
    expect(out.stdout.toString()).toContain('Usage: mi');
  });
});
