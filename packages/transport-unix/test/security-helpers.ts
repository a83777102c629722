import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect } from 'vitest';

export const isRoot = process.getuid?.() === 0;
export const NOBODY = 65534;

const addonSource = resolve(fileURLToPath(import.meta.url), '../../build/Release/unix_dgram.node');
let addonCopy: string | undefined;
let addonDir: string | undefined;

/**
 * The addon copied into a world-readable temp dir: a process running as
 * `nobody` may not be able to read the checkout.
 */
export function publicAddon(): string {
  if (addonCopy === undefined) {
    addonDir = mkdtempSync(join(tmpdir(), 'tu-addon-'));
    chmodSync(addonDir, 0o755);
    addonCopy = join(addonDir, 'unix_dgram.node');
    copyFileSync(addonSource, addonCopy);
    chmodSync(addonCopy, 0o755);
  }
  return addonCopy;
}

/**
 * Another copy of the addon (its own file, so its own dlopen handle): loaded
 * only in worker threads, it is unloaded when the last of them ends, which
 * is what makes a poll handle closed too late crash the process.
 */
export function workerOnlyAddon(): string {
  const copy = join(publicAddon(), '..', 'worker_only.node');
  copyFileSync(addonSource, copy);
  chmodSync(copy, 0o755);
  return copy;
}

afterAll(() => {
  if (addonDir !== undefined) rmSync(addonDir, { recursive: true, force: true });
});

function command(script: string, args: string[], asUser?: number): string[] {
  const code = `const m = require(${JSON.stringify(publicAddon())}); const args = process.argv.slice(1); ${script}`;
  const argv = [process.execPath, '-e', code, ...args];
  return asUser === undefined
    ? argv
    : ['setpriv', `--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups', ...argv];
}

/** Runs `script` (with `m` = the addon, `args`) in another process, as `asUser` if given. */
export function runAs(script: string, args: string[], asUser?: number) {
  const cmd = command(script, args, asUser);
  return spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', cwd: tmpdir(), timeout: 60_000 });
}

/** The same, in the background; its stdout lines are collected. */
export function startAs(
  script: string,
  args: string[],
  asUser?: number,
): { child: ChildProcess; lines: string[]; exited: Promise<number | null> } {
  const cmd = command(script, args, asUser);
  const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ['pipe', 'pipe', 'inherit'], cwd: tmpdir() });
  const lines: string[] = [];
  let buf = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    lines.push(...parts);
  });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return { child, lines, exited };
}

/**
 * Runs `script` as an unprivileged user (nobody when the tests run as root, else the current
 * user) with `target` (a socket bound at a fresh path in `dir`, which must be writable by that
 * user), `t` (that socket) and `me` (the user's uid) defined. The script calls
 * `done(value)` once; `value` is returned, after checking that `me` is neither root nor 12345,
 * the uid the scripts use for "another requester".
 */
export function runUnprivileged<T>(script: string, dir: string): T {
  const r = runAs(
    `const target = require('node:path').join(args[0], 't.sock');
     const t = new m.UnixDatagramSocket(); t.bind(target);
     const me = process.geteuid();
     const done = (value) => console.log(JSON.stringify([me, value]));
     ${script}`,
    [dir],
    isRoot ? NOBODY : undefined,
  );
  expect(r.status, r.stderr).toBe(0);
  const [me, value] = JSON.parse(r.stdout) as [number, T];
  expect(me).not.toBe(0);
  expect(me).not.toBe(12345);
  return value;
}
