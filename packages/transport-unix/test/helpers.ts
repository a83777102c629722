import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { chownSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir, ownSockets, type TempDir } from '@mi-datagram/test-helpers';
import { afterEach } from 'vitest';
import type { UnixPeer, UnixTransport } from '../src/index.js';

export { openFds, waitFor } from '@mi-datagram/test-helpers';

const dirs: TempDir[] = [];
const transports: UnixTransport[] = [];

/** A fresh private directory, removed after the test. */
export function tempDir(): string {
  const dir = makeTempDir('tu-test-');
  dirs.push(dir);
  return dir.path;
}

/** Closes `t` after the test (close is idempotent). */
export function track<T extends UnixTransport>(t: T): T {
  transports.push(t);
  return t;
}

afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  for (const dir of dirs.splice(0)) dir.remove();
});

export interface Received {
  readonly data: Uint8Array;
  readonly peer: UnixPeer;
  readonly truncated: boolean;
}

/** An onMessage handler that records copies of what arrives. */
export function recorder(): {
  readonly messages: Received[];
  readonly onMessage: (data: Uint8Array, peer: UnixPeer, info: { truncated: boolean }) => void;
} {
  const messages: Received[] = [];
  return {
    messages,
    onMessage(data, peer, info) {
      messages.push({ data: data.slice(), peer, truncated: info.truncated });
    },
  };
}

/** UNIX datagram sockets open in this process, counted exactly (leak checks). */
export function unixDatagramSockets(): number {
  return ownSockets(['unix-dgram']);
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const str = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Bytes whose content depends on the position, to catch reordering or corruption. */
export function pattern(size: number, seed = 0): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

/** Byte equality without a deep-equality walk over 64 KiB. */
export function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

const addonPath = resolve(fileURLToPath(import.meta.url), '../../build/Release/unix_dgram.node');

/**
 * Runs `code` in a separate plain node process with `m` = the raw addon and
 * `args` = process.argv.slice(1): another process (or, with `asUser`, another
 * user) doing raw socket things, e.g. leaving a stale socket file behind.
 *
 * Another user may not be able to reach the checkout (a clone under a 0700
 * directory such as /root): for it the addon and the script are copied to a
 * directory of its own, owned by it, removed afterwards.
 */
export function runWithAddon(
  code: string,
  args: string[],
  asUser?: number,
): SpawnSyncReturns<string> {
  if (asUser === undefined) {
    const script = `const m = require(${JSON.stringify(addonPath)}); const args = process.argv.slice(1); ${code}`;
    return spawnSync(process.execPath, ['-e', script, ...args], { encoding: 'utf8' });
  }
  const staged = mkdtempSync(join(tmpdir(), 'tu-as-user-'));
  try {
    copyFileSync(addonPath, join(staged, 'unix_dgram.node'));
    writeFileSync(
      join(staged, 'run.cjs'),
      `const m = require('./unix_dgram.node'); const args = process.argv.slice(2); ${code}\n`,
    );
    for (const name of ['unix_dgram.node', 'run.cjs', '.']) {
      chownSync(join(staged, name), asUser, asUser);
    }
    const setpriv = ['--reuid', String(asUser), '--regid', String(asUser), '--clear-groups'];
    return spawnSync('setpriv', [...setpriv, process.execPath, join(staged, 'run.cjs'), ...args], {
      encoding: 'utf8',
      cwd: staged,
    });
  } finally {
    rmSync(staged, { recursive: true, force: true });
  }
}

/** Leaves a socket file behind with nobody bound to it (a crashed server). */
export function staleSocket(path: string): void {
  const r = runWithAddon('new m.UnixDatagramSocket().bind(args[0]);', [path]);
  if (r.status !== 0) throw new Error(`staleSocket failed: ${r.stderr}`);
}

/** Sends `text` to `path` from an unbound (anonymous) socket in another process. */
export function sendFromUnbound(
  path: string,
  payload: string,
  asUser?: number,
): SpawnSyncReturns<string> {
  return runWithAddon(
    'const n = new m.UnixDatagramSocket().send(Buffer.from(args[1]), args[0]); process.exit(n >= 0 ? 0 : 10 - n);',
    [path, payload],
    asUser,
  );
}
