// Finding 1 (socket file permissions changed by path) and 11 (names with NUL, leaked temp dir).
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bindUnixSocket, UnixTransportError } from '../src/index.js';
import { loadNative } from '../src/native.js';
import { _setBindStrategy, resolveOwner } from '../src/sockets.js';
import { tempDir } from './helpers.js';
import { isRoot, NOBODY, startAs } from './security-helpers.js';

afterEach(() => _setBindStrategy(undefined));

/** A root-only file the attacker wants: it must stay root's, 0600. */
function secretFile(): string {
  const dir = tempDir();
  const secret = join(dir, 'secret');
  writeFileSync(secret, 'root only');
  chmodSync(secret, 0o600);
  return secret;
}

function expectUntouched(secret: string): void {
  const st = statSync(secret);
  expect(st.uid).toBe(0);
  expect(st.mode & 0o777).toBe(0o600);
}

describe('owner and mode are set through the bound socket, never by path', () => {
  it('refuses (and does not follow) a symlink swapped in after bind', () => {
    const secret = secretFile();
    const path = join(tempDir(), 's.sock');
    const { UnixDatagramSocket } = loadNative();
    const s = new UnixDatagramSocket();
    try {
      s.bind(path);
      unlinkSync(path);
      symlinkSync(secret, path);
      let err: unknown;
      try {
        s.ownFile(path, isRoot ? NOBODY : -1, -1, 0o666, -1);
      } catch (e) {
        err = e;
      }
      expect((err as { code?: string }).code).toBe('NOT_OUR_SOCKET');
      if (isRoot) expectUntouched(secret);
      expect(statSync(secret).mode & 0o777).toBe(0o600);
    } finally {
      s.close();
    }
  });

  it('refuses another socket file swapped in at the path', () => {
    const dir = tempDir();
    const path = join(dir, 's.sock');
    const { UnixDatagramSocket } = loadNative();
    const ours = new UnixDatagramSocket();
    const other = new UnixDatagramSocket();
    try {
      ours.bind(path);
      unlinkSync(path);
      other.bind(path);
      const before = lstatSync(path).mode & 0o777;
      // As root the identity is proven with a nonce sent through the handle
      // ("another socket"). Without privileges a socket file owned by our own
      // uid can only come from a process that already is us, and a mode-0
      // file cannot be written to, so the check that protects the real bind
      // is the expected mode 0 (fchmod strategy): a file bound by anyone else
      // carries the umask's mode.
      const expected = isRoot ? -1 : 0;
      expect(before).not.toBe(0);
      expect(() => ours.ownFile(path, -1, -1, 0o666, expected)).toThrow(
        isRoot
          ? /not the socket just bound: another socket/
          : /not the socket just bound: unexpected mode/,
      );
      expect(lstatSync(path).mode & 0o777).toBe(before);
    } finally {
      ours.close();
      other.close();
    }
  });

  // The attack: an unprivileged user who can write to the socket's directory swaps the socket
  // file for a symlink to a root-only file, in a loop, while a root server binds and re-binds
  // with unix_socket_user = that user. By path, chown/chmod follow the symlink.
  it.runIf(isRoot).each(['fchmod', 'private-dir'] as const)(
    'an attacker (nobody) swapping symlinks in a loop never gets a root file (%s)',
    async (strategy) => {
      _setBindStrategy(strategy);
      const secret = secretFile();
      chmodSync(join(secret, '..'), 0o755);
      const dir = tempDir();
      chmodSync(dir, 0o777);
      const path = join(dir, 'mi.sock');
      const attacker = startAs(
        `const fs = require('node:fs'); const [path, secret] = args;
         const end = Date.now() + 30000; let n = 0; const mine = new Set();
         const loop = () => {
           for (let i = 0; i < 2000; i++) {
             try { fs.unlinkSync(path); } catch {}
             try { fs.symlinkSync(secret, path); } catch {}
             // the private-dir fallback: race the temporary socket too
             for (const d of (() => { try { return fs.readdirSync(args[2]); } catch { return []; } })()) {
               // (only the server's: ours, put in place below, are left alone, so the
               // directory holds a few entries per bind, not one per loop turn)
               if (!d.startsWith('.mi-') || mine.has(d)) continue;
               // move the server's private directory away, put ours with a symlink in its place
               const p = args[2] + '/' + d;
               try { fs.renameSync(p, args[2] + '/.moved-' + n + '-' + d); } catch {}
               try { fs.mkdirSync(p); mine.add(d); fs.symlinkSync(secret, p + '/s'); } catch {}
             }
             n++;
           }
           if (Date.now() < end && !stop) setImmediate(loop); else { console.log('done ' + n); process.exit(0); }
         };
         let stop = false; process.stdin.on('data', () => { stop = true; }); process.stdin.resume();
         console.log('ready'); loop();`,
        [path, secret, dir],
        NOBODY,
      );
      const deadline = Date.now() + 10_000;
      while (attacker.lines.length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }

      try {
        for (let i = 0; i < 150; i++) {
          try {
            const t = await bindUnixSocket(path, { user: NOBODY, group: NOBODY, mode: 0o660 });

            await t.close();
          } catch (err) {
            expect(err).toBeInstanceOf(UnixTransportError);
          }
          expectUntouched(secret);
        }
      } finally {
        attacker.child.stdin?.end('stop\n');
        await attacker.exited;
      }
      expectUntouched(secret);
      expect(attacker.lines[0]).toBe('ready');
    },
    120_000,
  );
});

describe('smaller findings', () => {
  it('refuses user and group names with an embedded NUL', async () => {
    expect(() => resolveOwner({ user: 'root\0evil' })).toThrow(UnixTransportError);
    expect(() => resolveOwner({ group: 'root\0evil' })).toThrow(/NUL/);
    expect(() => loadNative().lookupUser('root\0evil')).toThrow(/NUL/);
    expect(() => loadNative().lookupGroup('root\0evil')).toThrow(/NUL/);
    const err = await bindUnixSocket(join(tempDir(), 'n.sock'), { user: 'root\0x' }).catch(
      (e: unknown) => e,
    );
    expect((err as UnixTransportError).code).toBe('INVALID_ARGUMENT');
  });

  it('removes its private directory when socket creation fails', async () => {
    _setBindStrategy('private-dir');
    const dir = tempDir();
    mkdirSync(join(dir, 'keep'));
    // 2^30 passes option validation, but the addon refuses it: newSocket() fails after mkdtemp
    const err = await bindUnixSocket(join(dir, 'x.sock'), { receiveBufferSize: 2 ** 30 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UnixTransportError);
    expect(readdirSync(dir)).toEqual(['keep']);
  });
});
