// Findings 2 (replies redirected by a swapped path), 3 (forged replies), 6 (108-byte paths),
// 7 (byte-exact sender addresses), 9 (adopting an owned descriptor), 11 (AsyncLocalStorage).
import { AsyncLocalStorage } from 'node:async_hooks';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  adoptUnixSocket,
  bindUnixSocket,
  openUnixReplySocket,
  type UnixPeer,
  type UnixTransportError,
} from '../src/index.js';
import { recorder, str, tempDir, text, track, waitFor } from './helpers.js';
import {
  isRoot,
  NOBODY,
  publicAddon,
  runAs,
  runUnprivileged,
  startAs,
} from './security-helpers.js';

describe('replies reach the socket the request came from, or nothing', () => {
  it.runIf(isRoot)(
    'a retried reply does not follow a symlink swapped in for a root-only socket',
    async () => {
      // A root-only socket in a root-only directory: nobody cannot send to it itself.
      const privateDir = tempDir();
      const victim = recorder();
      const target = track(
        await bindUnixSocket(join(privateDir, 'root.sock'), {
          mode: 0o600,
          onMessage: victim.onMessage,
        }),
      );
      const direct = runAs(
        'const n = new m.UnixDatagramSocket().send(Buffer.from("x"), args[0]); console.log(n);',
        [target.path!],
        NOBODY,
      );
      expect(Number(direct.stdout.trim())).toBeLessThan(0);

      const serverDir = tempDir();
      chmodSync(serverDir, 0o755);
      const attackerDir = tempDir();
      chmodSync(attackerDir, 0o777);
      const errors: Error[] = [];
      let request: { peer: UnixPeer } | undefined;
      const server = track(
        await bindUnixSocket(join(serverDir, 'mi.sock'), {
          mode: 0o666,
          onMessage: (_d, peer) => {
            request ??= { peer };
          },
          onError: (e) => errors.push(e),
        }),
      );
      // The attacker binds, sends a request, never reads; on "swap" it replaces its socket
      // path with a symlink to the root-only socket.
      const attacker = startAs(
        `const fs = require('node:fs'); const [mine, server, target] = args;
         const s = new m.UnixDatagramSocket(); s.bind(mine);
         s.send(Buffer.from('{"jsonrpc":"2.0","method":"x","id":1}'), server);
         console.log('sent');
         process.stdin.on('data', () => { fs.unlinkSync(mine); fs.symlinkSync(target, mine); console.log('swapped'); });`,
        [join(attackerDir, 'a.sock'), server.path!, target.path!],
        NOBODY,
      );
      try {
        await waitFor(() => request !== undefined, 10_000, 'request');
        const peer = request!.peer as string;
        // Fill the attacker's queue until a reply has to wait for a retry.
        let outcome = 'sent';
        for (let i = 0; i < 5000 && outcome === 'sent'; i++) {
          outcome = server.send(text(`reply ${i}`), peer);
        }
        expect(outcome).toBe('queued');
        attacker.child.stdin?.write('swap\n');
        await waitFor(() => attacker.lines.includes('swapped'), 10_000, 'swap');
        await waitFor(() => server.stats().pending === 0, 10_000, 'retries to end');
        // And a fresh reply to that path (an async handler answering late) is refused too.
        expect(server.send(text('late reply'), peer)).toBe('dropped');
        await new Promise((r) => setTimeout(r, 100));
        expect(victim.messages.map((m) => str(m.data))).toEqual([]);
        expect(server.stats().droppedUnreachable).toBeGreaterThan(0);
        expect(errors.some((e) => (e as UnixTransportError).errno === 'EACCES')).toBe(true);
      } finally {
        attacker.child.kill();
        await attacker.exited;
      }
    },
    60_000,
  );

  it('an unprivileged server (its uid learnt once) still checks the socket of another requester', () => {
    // The addon skips the ownership check for root requesters and for its own uid, which an
    // unprivileged process (real = effective = saved uid, no CAP_SETUID) reads once. A
    // requester of any other uid is checked on every send, before and after that.
    const dir = tempDir();
    chmodSync(dir, 0o777);
    const sent = runUnprivileged<number[]>(
      `const s = new m.UnixDatagramSocket();
       const send = (uid) => s.send(Buffer.from('x'), target, uid);
       done([send(12345), send(me), send(12345), send(me), send(0)]);`,
      dir,
    );
    expect(sent).toEqual([-13, 1, -13, 1, 1]);
  });

  it.runIf(isRoot)('a reply socket does not accept a forged reply from another user', async () => {
    const got = recorder();
    const base = tempDir();
    chmodSync(base, 0o755);
    const client = track(await openUnixReplySocket({ dir: base, onMessage: got.onMessage }));
    const r = runAs(
      'const n = new m.UnixDatagramSocket().send(Buffer.from("200 OK forged reply"), args[0]); console.log(n);',
      [client.path!],
      NOBODY,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(Number(r.stdout.trim())).toBeLessThan(0);
    // the same user (and root) still can
    const server = track(await bindUnixSocket(join(tempDir(), 's.sock')));
    expect(server.send(text('real reply'), client.path!)).toBe('sent');
    await waitFor(() => got.messages.length === 1);
    await new Promise((res) => setTimeout(res, 50));
    expect(got.messages.map((m) => str(m.data))).toEqual(['real reply']);
  });
});

/** Runs a command without blocking the event loop (the server under test must answer). */
function run(cmd: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: 30_000 }, (_err, stdout, stderr) =>
      res({ stdout, stderr }),
    );
  });
}

describe('sender addresses', () => {
  it('answers a sender bound to a path of all 108 bytes', async () => {
    const base = tempDir();
    const dir = join(base, 'd'.repeat(40));
    mkdirSync(dir);
    const sender = join(dir, 'x'.repeat(108 - dir.length - 1));
    expect(Buffer.byteLength(sender)).toBe(108);
    const seen: UnixPeer[] = [];
    const errors: Error[] = [];
    const server = track(
      await bindUnixSocket(join(tempDir(), 's.sock'), {
        onMessage: (data, peer) => {
          seen.push(peer);
          if (peer !== null) server.send(data, peer);
        },
        onError: (e) => errors.push(e),
      }),
    );
    // Python refuses a 108-byte path; the addon binds it (the kernel accepts it without a NUL).
    const r = await run(process.execPath, [
      '-e',
      `const m = require(${JSON.stringify(publicAddon())});
       const s = new m.UnixDatagramSocket(); s.bind(process.argv[1]);
       const t = setTimeout(() => { console.log('none'); process.exit(0); }, 10000);
       s.poll((buf, n) => { console.log(Buffer.from(buf, n * 8, new Int32Array(buf, 0, 1)[0]).toString()); clearTimeout(t); s.close(); }, 1, 100);
       s.send(Buffer.from('ping108'), process.argv[2]);`,
      sender,
      server.path!,
    ]);
    expect(r.stdout.trim(), r.stderr).toBe('ping108');
    expect(seen).toEqual([sender]);
    expect(errors).toEqual([]);
  });

  it('keeps senders whose paths are not UTF-8 apart, and answers each', async () => {
    const dir = tempDir();
    const peers: UnixPeer[] = [];
    const server = track(
      await bindUnixSocket(join(tempDir(), 's.sock'), {
        onMessage: (data, peer) => {
          peers.push(peer);
          if (peer !== null) server.send(data, peer);
        },
      }),
    );
    const r = await run('python3', [
      '-c',
      `import socket, sys, os
d = sys.argv[1].encode()
out = []
socks = []
for name in (b'\\xff', b'\\xfe', b'ok'):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(d + b'/' + name)
    s.settimeout(10)
    s.sendto(b'from-' + name.hex().encode(), sys.argv[2].encode())
    socks.append(s)
for s in socks:
    try:
        out.append(s.recv(100).decode())
    except Exception as e:
        out.append('none')
print(' '.join(out))`,
      dir,
      server.path!,
    ]);
    expect(r.stdout.trim(), r.stderr).toBe('from-ff from-fe from-6f6b');
    expect(new Set(peers).size).toBe(3);
    expect(peers[2]).toBe(join(dir, 'ok'));
  });
});

describe('adopting a descriptor', () => {
  it('refuses a descriptor another socket of this process owns (no double close)', async () => {
    const got = recorder();
    const t = track(await bindUnixSocket(join(tempDir(), 'a.sock'), { onMessage: got.onMessage }));
    let err: unknown;
    try {
      adoptUnixSocket(t.fd);
    } catch (e) {
      err = e;
    }
    expect((err as UnixTransportError).code).toBe('FD_ALREADY_OWNED');
    const client = track(await openUnixReplySocket());
    expect(client.send(text('still open'), t.path!)).toBe('sent');
    await waitFor(() => got.messages.length === 1);
  });
});

describe('async context', () => {
  it('runs onMessage in the AsyncLocalStorage context the transport was created in', async () => {
    const als = new AsyncLocalStorage<string>();
    const stores: (string | undefined)[] = [];
    const path = join(tempDir(), 'als.sock');
    await als.run('request-scope', async () => {
      track(await bindUnixSocket(path, { onMessage: () => stores.push(als.getStore()) }));
    });
    const client = track(await openUnixReplySocket());
    client.send(text('x'), path);
    await waitFor(() => stores.length === 1);
    expect(stores).toEqual(['request-scope']);
  });

  it('keeps each socket in its own context, whatever context the loop is in when it fires', async () => {
    const als = new AsyncLocalStorage<string>();
    const seen: string[] = [];
    const dir = tempDir();
    const paths = [join(dir, 'als-a.sock'), join(dir, 'als-b.sock')];
    for (const [i, path] of paths.entries()) {
      const scope = `scope-${i}`;
      await als.run(scope, async () => {
        track(
          await bindUnixSocket(path, {
            onMessage: (data) => {
              seen.push(`${str(data)}:${als.getStore() ?? 'none'}`);
              // Work queued by a handler keeps the context too.
              queueMicrotask(() => seen.push(`${str(data)} later:${als.getStore() ?? 'none'}`));
            },
          }),
        );
      });
    }
    const client = track(await openUnixReplySocket());
    als.enterWith('the sender');
    for (const round of [1, 2]) {
      client.send(text(`b${round}`), paths[1] as string);
      client.send(text(`a${round}`), paths[0] as string);
      await waitFor(() => seen.length === 4 * round);
    }
    expect([...seen].sort()).toEqual(
      [
        'a1:scope-0',
        'a1 later:scope-0',
        'a2:scope-0',
        'a2 later:scope-0',
        'b1:scope-1',
        'b1 later:scope-1',
        'b2:scope-1',
        'b2 later:scope-1',
      ].sort(),
    );
  });
});
