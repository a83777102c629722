/**
 * SIGHUP never stops the server (issue 15 point 5): it re-checks the socket
 * files, re-creating a removed one where it can, and logs what it found.
 * With workers, neither the primary nor a worker stops on it.
 */
import { existsSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { childrenOf, isAlive, waitFor } from './helpers/procs.js';
import { text, unixClient } from './helpers/raw.js';
import { killAll, runCli, waitListening } from './helpers/spawn.js';

const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mi-hup-'));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  await killAll();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const hupLines = (stderr: string) => stderr.split('\n').filter((l) => l.includes('SIGHUP'));

describe('SIGHUP', () => {
  it('in-process: keeps serving, re-creates a removed socket file at once, logs it', async () => {
    const dir = tempDir();
    const path = join(dir, 'mi.sock');
    const run = runCli(['--socket-name', path, '--log-level', '2']);
    await waitListening(run);
    const pid = run.child.pid as number;
    process.kill(pid, 'SIGHUP');
    await waitFor(() => hupLines(run.stderr()).length === 1, 5000, 'the SIGHUP log line');
    expect(hupLines(run.stderr())[0]).toContain(`"${path}":"ok"`);
    expect(await isAlive(pid)).toBe(true);

    unlinkSync(path);
    process.kill(pid, 'SIGHUP');
    await waitFor(() => hupLines(run.stderr()).length === 2, 5000, 'the second SIGHUP line');
    // Re-created by the time the line is written (the periodic watch may have been first).
    expect(hupLines(run.stderr())[1]).toContain(`"${path}":"recreated"`);
    expect(existsSync(path)).toBe(true);
    const client = await unixClient(path, dir);
    expect(text(await client.request(':version:\n'))).toMatch(/^200 OK\n/);
    await client.close();

    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(existsSync(path)).toBe(false);
  });

  it('with 2 workers: the primary and the workers stay, no worker is replaced', async () => {
    const dir = tempDir();
    const path = join(dir, 'mi.sock');
    const run = runCli(['--socket-name', path, '--children-count', '2', '--log-level', '2']);
    await waitListening(run);
    const pid = run.child.pid as number;
    await waitFor(async () => (await childrenOf(pid)).length === 2, 10_000, 'two workers');
    const workers = await childrenOf(pid);
    process.kill(pid, 'SIGHUP');
    // A hangup of the whole group (a closed terminal) reaches the workers too.
    for (const w of workers) process.kill(w, 'SIGHUP');
    await waitFor(() => hupLines(run.stderr()).length === 1, 5000, 'the SIGHUP log line');
    await new Promise((r) => setTimeout(r, 300));
    expect(await isAlive(pid)).toBe(true);
    expect(await childrenOf(pid)).toEqual(workers);
    const client = await unixClient(path, dir);
    expect(text(await client.request(':version:\n'))).toMatch(/^200 OK\n/);
    await client.close();
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });
});
