import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir, type TempDir } from '@mi-datagram/test-helpers';
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
 */
export function runWithAddon(
  code: string,
  args: string[],
  asUser?: number,
): SpawnSyncReturns<string> {
  const script = `const m = require(${JSON.stringify(addonPath)}); const args = process.argv.slice(1); ${code}`;
  const argv = [process.execPath, '-e', script, ...args];
  const cmd =
    asUser === undefined
      ? argv
      : ['setpriv', `--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups', ...argv];
  return spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' });
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
