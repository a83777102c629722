// Findings 4 (worker-thread teardown), 5 (POLLERR), 8 (sender state after a failed batch),
// 10 (bind-strategy probe caches only success).
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openUnixReplySocket, type UnixTransportError } from '../src/index.js';
import { loadNative } from '../src/native.js';
import { recorder, str, tempDir, text, track, waitFor } from './helpers.js';
import { publicAddon, workerOnlyAddon } from './security-helpers.js';

const here = fileURLToPath(new URL('.', import.meta.url));

function run(
  cmd: string,
  args: string[],
  options: { cwd?: string } = {},
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = execFile(
      cmd,
      args,
      { encoding: 'utf8', timeout: 90_000, ...options },
      (_err, stdout, stderr) =>
        res({ code: child.exitCode, signal: child.signalCode, stdout, stderr }),
    );
  });
}

describe('worker threads that end while their socket receives', () => {
  it('terminate(), process.exit() and a throwing callback under traffic leave the process alive', async () => {
    const dir = tempDir();
    const script = `
      const { Worker } = require('node:worker_threads');
      const { once } = require('node:events');
      // the main thread sends with one copy; the workers load another (unloaded as they end)
      const m = require(${JSON.stringify(publicAddon())});
      const addon = ${JSON.stringify(workerOnlyAddon())};
      const dir = process.argv[1];
      const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
      const workerCode = \`
        const { parentPort, workerData } = require('node:worker_threads');
        const m = require(workerData.addon);
        const s = new m.UnixDatagramSocket(); s.bind(workerData.path);
        let n = 0;
        s.poll(() => {
          n++;
          if (n !== 5) return;
          if (workerData.mode === 'exit') process.exit(0);
          if (workerData.mode === 'throw') throw new Error('boom');
          parentPort.postMessage('busy');
        }, 4, 65457);
        parentPort.postMessage('ready');\`;
      (async () => {
        const modes = ['terminate', 'exit', 'throw'];
        for (let i = 0; i < 18; i++) {
          const mode = modes[i % 3];
          const path = dir + '/w' + i + '.sock';
          const w = new Worker(workerCode, { eval: true, workerData: { addon, path, mode } });
          w.on('error', () => {});
          const exited = new Promise((r) => w.once('exit', r));
          await once(w, 'message');
          const sender = new m.UnixDatagramSocket();
          const flood = setInterval(() => { for (let k = 0; k < 20; k++) sender.send(Buffer.from('x'), path); }, 1);
          if (mode === 'terminate') { await once(w, 'message'); await w.terminate(); }
          await exited;
          await sleep(5);
          clearInterval(flood);
          sender.close();
        }
        console.log('ok');
      })();`;
    const r = await run(process.execPath, ['-e', script, dir]);
    expect({ signal: r.signal, code: r.code, out: r.stdout.trim() }, r.stderr).toEqual({
      signal: null,
      code: 0,
      out: 'ok',
    });
  }, 120_000);
});

describe('receive errors', () => {
  it('reports the socket error (not EBADF) and keeps receiving', async () => {
    const errors: UnixTransportError[] = [];
    const got = recorder();
    const t = track(
      await openUnixReplySocket({
        onMessage: got.onMessage,
        onError: (e) => errors.push(e as UnixTransportError),
      }),
    );
    const { UnixDatagramSocket } = loadNative();
    const peerPath = join(tempDir(), 'peer.sock');
    const peer = new UnixDatagramSocket();
    try {
      peer.bind(peerPath);
      // A connected pair; then the peer dissolves its side with our datagram unread in its
      // queue: the kernel flags ECONNRESET on our socket (POLLERR).
      t.connect(peerPath);
      expect(peer.connect(t.path!)).toBe(0);
      expect(t.send(text('unread'), peerPath)).toBe('sent');
      expect(peer.connect(null)).toBe(0);
      await waitFor(() => errors.length > 0, 5000, 'receive error');
      expect(errors[0]!.errno).toBe('ECONNRESET');
      expect(peer.send(text('after the error'), t.path!)).toBeGreaterThan(0);
      await waitFor(() => got.messages.length === 1, 5000, 'datagram after the error');
      expect(str(got.messages[0]!.data)).toBe('after the error');
    } finally {
      peer.close();
    }
  });
});

describe('sender state across batches', () => {
  it('a batch callback that throws does not leave a stale sender for the next batch', async () => {
    const dir = tempDir();
    const script = `
      const m = require(${JSON.stringify(publicAddon())});
      const [dir] = process.argv.slice(1);
      const r = new m.UnixDatagramSocket(); r.bind(dir + '/r.sock');
      const a = new m.UnixDatagramSocket(); a.bind(dir + '/a.sock');
      const b = new m.UnixDatagramSocket(); b.bind(dir + '/b.sock');
      process.on('uncaughtException', () => {});
      const seen = [];
      let batch = 0;
      const steps = [() => a.send(Buffer.from('1'), dir + '/r.sock'), () => b.send(Buffer.from('2'), dir + '/r.sock'), () => b.send(Buffer.from('3'), dir + '/r.sock')];
      r.poll((buf, n, peers) => {
        batch++;
        if (batch === 2) { setTimeout(steps.shift(), 10); throw new Error('handler failed before reading the sender'); }
        seen.push(peers === undefined ? 'same' : peers);
        if (steps.length) setTimeout(steps.shift(), 10); else { console.log(JSON.stringify(seen)); process.exit(0); }
      }, 1, 100);
      steps.shift()();
      setTimeout(() => { console.log('timeout'); process.exit(1); }, 10000);`;
    const r = await run(process.execPath, ['-e', script, dir]);
    expect(JSON.parse(r.stdout.trim())).toEqual([join(dir, 'a.sock'), join(dir, 'b.sock')]);
  });
});

describe('bind-strategy probe', () => {
  it('a transient failure (EMFILE) does not break later binds', async () => {
    const dir = tempDir();
    const r = await run(
      'sh',
      [
        '-c',
        `ulimit -n 64 && exec "$0" --import tsx "$@"`,
        process.execPath,
        join(here, 'fixtures', 'probe-emfile.ts'),
        dir,
      ],
      { cwd: resolve(here, '..') },
    );
    const out = JSON.parse(r.stdout.trim() || '{}') as { first?: string; second?: string };
    expect(out.first, r.stderr).toMatch(/^failed/);
    expect(out.second, r.stderr).toBe('bound');
  }, 60_000);
});
