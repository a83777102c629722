import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bindUnixSocket, openUnixReplySocket, UnixTransportError } from '../src/index.js';
import { _setAfterStaleProbe, _setBindStrategy } from '../src/sockets.js';
import {
  recorder,
  sendFromUnbound,
  staleSocket,
  str,
  tempDir,
  text,
  track,
  waitFor,
} from './helpers.js';

const isRoot = process.getuid?.() === 0;
const modeOf = (p: string): number => lstatSync(p).mode & 0o777;

async function rejection(p: Promise<unknown>): Promise<UnixTransportError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UnixTransportError);
  return err as UnixTransportError;
}

afterEach(() => {
  _setBindStrategy(undefined);
  _setAfterStaleProbe(undefined);
});

// Every rule runs with the preferred strategy (fchmod before bind) and the fallback
// (bind in a private directory, then move into place).
describe.each(['fchmod', 'private-dir'] as const)('socket file safety (%s)', (strategy) => {
  const bind: typeof bindUnixSocket = (path, options) => {
    _setBindStrategy(strategy);
    return bindUnixSocket(path, options);
  };

  it('refuses a regular file and leaves it untouched', async () => {
    const path = join(tempDir(), 'file');
    writeFileSync(path, 'keep me');
    const err = await rejection(bind(path));
    expect(err.code).toBe('PATH_NOT_SOCKET');
    expect(err.path).toBe(path);
    expect(err.message).toMatch(/regular file/);
    expect(err.message).not.toMatch(/\n/);
    expect(readFileSync(path, 'utf8')).toBe('keep me');
  });

  it('refuses a directory and leaves it untouched', async () => {
    const path = join(tempDir(), 'dir');
    mkdirSync(path);
    writeFileSync(join(path, 'inside'), 'x');
    expect((await rejection(bind(path))).code).toBe('PATH_NOT_SOCKET');
    expect(readdirSync(path)).toEqual(['inside']);
  });

  it('refuses a symlink (even one to a stale socket) and leaves both untouched', async () => {
    const dir = tempDir();
    const target = join(dir, 'real.sock');
    staleSocket(target);
    const path = join(dir, 'link.sock');
    symlinkSync(target, path);
    expect((await rejection(bind(path))).code).toBe('PATH_NOT_SOCKET');
    expect(readlinkSync(path)).toBe(target);
    expect(lstatSync(target).isSocket()).toBe(true);
    const dangling = join(dir, 'dangling.sock');
    symlinkSync(join(dir, 'nowhere'), dangling);
    expect((await rejection(bind(dangling))).code).toBe('PATH_NOT_SOCKET');
    expect(existsSync(join(dir, 'nowhere'))).toBe(false);
  });

  it('refuses to take the socket of a live server', async () => {
    const path = join(tempDir(), 'live.sock');
    const live = recorder();
    const first = track(await bind(path, { onMessage: live.onMessage }));
    const err = await rejection(bind(path));
    expect(err.code).toBe('ADDRESS_IN_USE');
    // the first server still owns the path and still receives
    const client = track(await openUnixReplySocket());
    expect(client.send(text('still mine'), path)).toBe('sent');
    await waitFor(() => live.messages.length === 1);
    expect(first.stats().received).toBe(1);
  });

  it('replaces a stale socket', async () => {
    const path = join(tempDir(), 'stale.sock');
    staleSocket(path);
    const seen = recorder();
    track(await bind(path, { onMessage: seen.onMessage }));
    expect(modeOf(path)).toBe(0o660);
    const client = track(await openUnixReplySocket());
    client.send(text('hi'), path);
    await waitFor(() => seen.messages.length === 1);
  });

  it('does not replace a stale socket swapped for another file after the probe', async () => {
    const dir = tempDir();
    const path = join(dir, 'swapped.sock');
    staleSocket(path);
    // Between the probe (stale: replace it) and the replacement, someone puts a file there.
    _setAfterStaleProbe(() => {
      unlinkSync(path);
      writeFileSync(path, 'theirs');
    });
    const err = await rejection(bind(path));
    expect(err.code).toBe('ADDRESS_IN_USE');
    expect(err.message).toMatch(/changed while binding/);
    expect(readFileSync(path, 'utf8')).toBe('theirs');
    expect(readdirSync(dir)).toEqual(['swapped.sock']);
  });

  it('does not replace a stale socket swapped for another socket after the probe', async () => {
    const dir = tempDir();
    const path = join(dir, 'swapped.sock');
    staleSocket(path);
    const other = join(dir, 'other.sock');
    staleSocket(other);
    const otherIno = lstatSync(other).ino;
    expect(lstatSync(path).ino).not.toBe(otherIno);
    _setAfterStaleProbe(() => renameSync(other, path));
    const err = await rejection(bind(path));
    expect(err.code).toBe('ADDRESS_IN_USE');
    expect(lstatSync(path).isSocket()).toBe(true);
    expect(lstatSync(path).ino).toBe(otherIno);
    expect(readdirSync(dir)).toEqual(['swapped.sock']);
  });

  it('applies mode 0660 by default, an explicit mode, and 0 as 0600 with a warning', async () => {
    const dir = tempDir();
    const a = track(await bind(join(dir, 'a.sock')));
    expect(modeOf(join(dir, 'a.sock'))).toBe(0o660);
    track(await bind(join(dir, 'b.sock'), { mode: 0o604 }));
    expect(modeOf(join(dir, 'b.sock'))).toBe(0o604);
    const warnings: string[] = [];
    track(await bind(join(dir, 'c.sock'), { mode: 0, onWarning: (m) => warnings.push(m) }));
    expect(modeOf(join(dir, 'c.sock'))).toBe(0o600);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/0600/);
    expect(a.path).toBe(join(dir, 'a.sock'));
    // no temporary files left next to the sockets
    expect(readdirSync(dir).sort()).toEqual(['a.sock', 'b.sock', 'c.sock']);
  });

  it('changes owner and group to nobody/nogroup (as root), or fails cleanly (not root)', async () => {
    const dir = tempDir();
    const path = join(dir, 'owned.sock');
    if (isRoot) {
      track(await bind(path, { user: 'nobody', group: 'nogroup', mode: 0o620 }));
      const st = lstatSync(path);
      expect(st.uid).toBe(65534);
      expect(st.gid).toBe(65534);
      expect(st.mode & 0o777).toBe(0o620);
      // numeric ids, given as number and as string
      const numeric = join(dir, 'numeric.sock');
      track(await bind(numeric, { user: 65534, group: '65534' }));
      expect(lstatSync(numeric).uid).toBe(65534);
      expect(lstatSync(numeric).gid).toBe(65534);
      // a user name alone brings its primary group (as the original)
      const primary = join(dir, 'primary.sock');
      track(await bind(primary, { user: 'nobody' }));
      expect(lstatSync(primary).gid).toBe(65534);
    } else {
      const err = await rejection(bind(path, { user: 'nobody', group: 'nogroup' }));
      expect(err.code).toBe('SYSCALL');
      expect(err.errno).toBe('EPERM');
      expect(existsSync(path)).toBe(false);
    }
    expect(readdirSync(dir).every((n) => n.endsWith('.sock'))).toBe(true);
  });

  it('refuses unknown users and groups before touching anything', async () => {
    const path = join(tempDir(), 'x.sock');
    expect((await rejection(bind(path, { user: 'no-such-user-mi' }))).code).toBe('UNKNOWN_USER');
    expect((await rejection(bind(path, { group: 'no-such-group-mi' }))).code).toBe('UNKNOWN_GROUP');
    expect(existsSync(path)).toBe(false);
  });

  it('refuses a path longer than sun_path', async () => {
    const dir = tempDir();
    const path = join(dir, 'x'.repeat(108 - dir.length));
    expect(Buffer.byteLength(path)).toBe(109);
    const err = await rejection(bind(path));
    expect(err.code).toBe('PATH_TOO_LONG');
    expect(existsSync(path)).toBe(false);
    // 107 bytes is the longest that fits, and works
    const longest = join(dir, 'y'.repeat(106 - dir.length));
    expect(Buffer.byteLength(longest)).toBe(107);
    const t = track(await bind(longest));
    expect(lstatSync(longest).isSocket()).toBe(true);
    await t.close();
    expect(existsSync(longest)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('removes the socket file on close', async () => {
    const path = join(tempDir(), 'gone.sock');
    const t = await bind(path);
    expect(lstatSync(path).isSocket()).toBe(true);
    await t.close();
    expect(existsSync(path)).toBe(false);
  });

  it('does not remove a file that replaced ours behind our back', async () => {
    const dir = tempDir();
    const path = join(dir, 'replaced.sock');
    const warnings: string[] = [];
    const t = await bind(path, { onWarning: (m) => warnings.push(m) });
    // someone moves our socket away and puts their own file there
    renameSync(path, join(dir, 'moved.sock'));
    writeFileSync(path, 'theirs');
    await t.close();
    expect(readFileSync(path, 'utf8')).toBe('theirs');
    expect(warnings.some((m) => m.includes('replaced'))).toBe(true);
    // and a socket somebody else bound there after ours was unlinked
    const path2 = join(dir, 'rebound.sock');
    const t2 = await bind(path2);
    unlinkSync(path2);
    staleSocket(path2);
    await t2.close();
    expect(lstatSync(path2).isSocket()).toBe(true);
  });

  it('leaves nothing behind when binding fails in a directory it cannot write', async () => {
    if (isRoot) {
      // root writes anywhere: use a missing directory instead
      const err = await rejection(bind(join(tempDir(), 'missing', 'x.sock')));
      expect(err.code).toBe('SYSCALL');
      expect(err.errno).toBe('ENOENT');
    } else {
      const dir = tempDir();
      chmodSync(dir, 0o500);
      const err = await rejection(bind(join(dir, 'x.sock')));
      expect(err.errno).toBe('EACCES');
      chmodSync(dir, 0o700);
      expect(readdirSync(dir)).toEqual([]);
    }
  });
});

describe('abstract names', () => {
  it('refuses a name already bound, and one longer than sun_path', async () => {
    const name = `\0mi-abstract-${process.pid}-${Date.now()}`;
    track(await bindUnixSocket(name));
    expect((await rejection(bindUnixSocket(name))).code).toBe('ADDRESS_IN_USE');
    expect((await rejection(bindUnixSocket(`\0${'a'.repeat(108)}`))).code).toBe('PATH_TOO_LONG');
    const longest = track(await bindUnixSocket(`\0${process.pid}-`.padEnd(108, 'b')));
    expect(longest.path?.length).toBe(108);
  });

  it('warns that mode/user/group do not apply', async () => {
    const warnings: string[] = [];
    track(
      await bindUnixSocket(`\0mi-abs-mode-${process.pid}`, {
        mode: 0o600,
        onWarning: (m) => warnings.push(m),
      }),
    );
    expect(warnings).toHaveLength(1);
  });
});

describe('reply sockets', () => {
  it('live in a private 0711 directory as an unguessable 0600 socket, removed on close', async () => {
    const base = tempDir();
    const t = await openUnixReplySocket({ dir: base });
    const path = t.path!;
    expect(path.startsWith(base)).toBe(true);
    const dir = join(path, '..');
    expect(statSync(dir).mode & 0o777).toBe(0o711);
    expect(modeOf(path)).toBe(0o600);
    expect(path).toMatch(/\/[0-9a-f]{24}\.sock$/);
    expect(readdirSync(dir)).toHaveLength(1);
    await t.close();
    expect(existsSync(path)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(base)).toEqual([]);
  });

  it('let a server running as another user reply (as root: the server runs as nobody)', async () => {
    const base = tempDir();
    chmodSync(base, 0o755);
    const client = track(await openUnixReplySocket({ dir: base, onMessage: () => undefined }));
    const got = recorder();
    const replier = track(
      await openUnixReplySocket({ dir: base, mode: 0o666, onMessage: got.onMessage }),
    );
    // Another process sends to the reply socket: as the unprivileged user `nobody` when we are root.
    const r = sendFromUnbound(replier.path!, 'reply', isRoot ? 65534 : undefined);
    expect(r.status, r.stderr).toBe(0);
    await waitFor(() => got.messages.length === 1);
    expect(str(got.messages[0]!.data)).toBe('reply');
    expect(client.closed).toBe(false);
  });
});
