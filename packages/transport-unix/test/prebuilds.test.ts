import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  addonCandidates,
  detectLibc,
  PREBUILT_TAGS,
  prebuiltTag,
  requireFirst,
  SOURCE_BUILD,
} from '../src/addon-path.js';

const packageDir = resolve(fileURLToPath(import.meta.url), '../..');
const script = join(packageDir, 'scripts', 'build-addon.mjs');
const prebuilt = (tag: string) => join(packageDir, 'prebuilds', tag, 'unix_dgram.node');
const scratch = mkdtempSync(join(tmpdir(), 'mi-prebuilds-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('prebuilt binaries', () => {
  it('match prebuilds/manifest.json and the current native sources', () => {
    const result = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('are reported stale once a native source changes without a rebuild', () => {
    const copy = join(scratch, 'pkg');
    for (const dir of ['scripts', 'native', 'prebuilds']) {
      cpSync(join(packageDir, dir), join(copy, dir), { recursive: true });
    }
    appendFileSync(join(copy, 'native', 'unix_dgram.c'), '\n/* changed */\n');
    const result = spawnSync(
      process.execPath,
      [join(copy, 'scripts', 'build-addon.mjs'), '--check'],
      {
        encoding: 'utf8',
      },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('linux-x64-glibc: built from other sources');
    expect(result.stderr).toContain('build:prebuilds');
  });

  it('the linux-x64-glibc one loads in a plain node and binds a socket', () => {
    if (process.arch !== 'x64' || detectLibc() !== 'glibc') return;
    const code = `
      const m = require(${JSON.stringify(prebuilt('linux-x64-glibc'))});
      const s = new m.UnixDatagramSocket();
      s.bind(process.argv[1]);
      const ok = s.fd() >= 0 && s.localAddress() === process.argv[1] && m.constants.SLOT_SIZE === 65536;
      s.close();
      process.stdout.write(ok ? 'ok' : 'bad');`;
    const result = spawnSync(process.execPath, ['-e', code, join(scratch, 'x.sock')], {
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('ok');
  });
});

describe('addon loader', () => {
  it('tries a source build first, then the prebuilt binary of the platform', () => {
    expect(addonCandidates('/p', 'linux', 'x64', 'glibc')).toEqual([
      join('/p', SOURCE_BUILD),
      '/p/prebuilds/linux-x64-glibc/unix_dgram.node',
    ]);
    expect(addonCandidates('/p', 'linux', 'x64', 'musl')[1]).toBe(
      '/p/prebuilds/linux-x64-musl/unix_dgram.node',
    );
    expect(addonCandidates('/p', 'linux', 'arm64', 'glibc')[1]).toBe(
      '/p/prebuilds/linux-arm64-glibc/unix_dgram.node',
    );
  });

  it('has only the source build to offer where nothing is prebuilt', () => {
    expect(addonCandidates('/p', 'darwin', 'arm64', undefined)).toEqual([join('/p', SOURCE_BUILD)]);
    expect(addonCandidates('/p', 'linux', 'arm64', 'musl')).toEqual([join('/p', SOURCE_BUILD)]);
    expect(prebuiltTag('linux', 'ia32', 'glibc')).toBeUndefined();
    expect(PREBUILT_TAGS).toHaveLength(3);
  });

  it('names the C library on Linux only', () => {
    expect(detectLibc('darwin')).toBeUndefined();
    expect(['glibc', 'musl']).toContain(detectLibc('linux'));
  });

  it('skips a missing file and a binary of another machine, and says why', () => {
    const foreign = process.arch === 'arm64' ? 'linux-x64-glibc' : 'linux-arm64-glibc';
    const missing = join(scratch, 'none', 'unix_dgram.node');
    const failed = requireFirst([missing, prebuilt(foreign)]);
    expect('failures' in failed && failed.failures.map((f) => f.file)).toEqual([
      missing,
      prebuilt(foreign),
    ]);
    if ('failures' in failed) {
      expect(failed.failures[0]?.reason).toBe('not found');
      // glibc's dlopen says "cannot open shared object file" for another machine's ELF.
      expect(failed.failures[1]?.reason).toMatch(/shared object|ELF/);
    }
  });
});
