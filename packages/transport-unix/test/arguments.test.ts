import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  adoptUnixSocket,
  bindUnixSocket,
  openUnixReplySocket,
  UnixTransportError,
  type UnixTransportOptions,
} from '../src/index.js';
import { tempDir, text, track } from './helpers.js';

const code = (c: string) => expect.objectContaining({ code: c });

async function rejectsWith(p: Promise<unknown>, c: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UnixTransportError);
  expect((err as UnixTransportError).code).toBe(c);
  expect((err as Error).message).not.toMatch(/\n/);
}

describe('bad arguments throw typed errors', () => {
  it('bindUnixSocket: path', async () => {
    const bad: unknown[] = ['', 42, null, undefined, 'a\0b'];
    for (const path of bad) await rejectsWith(bindUnixSocket(path as string), 'INVALID_ARGUMENT');
  });

  it('bindUnixSocket: options', async () => {
    const path = join(tempDir(), 'x.sock');
    const bad: unknown[] = [
      null,
      'fast',
      { socketTimeout: -1 },
      { socketTimeout: 1.5 },
      { socketTimeout: '2000' },
      { mode: 0o1777 },
      { mode: -1 },
      { mode: '660' },
      { receiveBatchSize: 0 },
      { receiveBatchSize: 65 },
      { maxPendingReplies: -1 },
      { receiveBufferSize: 0 },
      { onMessage: 'handler' },
      { onError: 1 },
      { user: {} },
      { user: '' },
      { group: 1.5 },
      { user: -1 },
    ];
    for (const options of bad) {
      await rejectsWith(bindUnixSocket(path, options as UnixTransportOptions), 'INVALID_ARGUMENT');
    }
  });

  it('adoptUnixSocket', () => {
    for (const fd of [-1, 1.5, '3', null, 2 ** 31]) {
      expect(() => adoptUnixSocket(fd as number)).toThrow(code('INVALID_ARGUMENT'));
    }
    expect(() => adoptUnixSocket(0, { address: 5 } as unknown as { address: string })).toThrow(
      code('INVALID_ARGUMENT'),
    );
  });

  it('openUnixReplySocket', async () => {
    await rejectsWith(openUnixReplySocket({ dir: '' }), 'INVALID_ARGUMENT');
    await rejectsWith(openUnixReplySocket({ dir: join(tempDir(), 'missing') }), 'SYSCALL');
    await rejectsWith(openUnixReplySocket({ dir: `/${'d'.repeat(100)}` }), 'SYSCALL');
    // a directory so deep that the reply socket path would not fit: refused, nothing left behind
    const deep = join(tempDir(), 'd'.repeat(60));
    mkdirSync(deep);
    await rejectsWith(openUnixReplySocket({ dir: deep }), 'PATH_TOO_LONG');
    expect(readdirSync(deep)).toEqual([]);
  });

  it('send', async () => {
    const t = track(await openUnixReplySocket());
    expect(() => t.send('text' as unknown as Uint8Array, '/x')).toThrow(code('INVALID_ARGUMENT'));
    expect(() => t.send(new Uint16Array(2) as unknown as Uint8Array, '/x')).toThrow(
      code('INVALID_ARGUMENT'),
    );
    expect(() => t.send(text('x'), 42 as unknown as string)).toThrow(code('INVALID_ARGUMENT'));
    expect(() => t.send(text('x'), '')).toThrow(code('INVALID_ARGUMENT'));
    expect(() => t.send(text('x'), `/${'p'.repeat(200)}`)).toThrow(code('INVALID_ARGUMENT'));
    expect(() => t.send(text('x'), 'a\0b')).toThrow(code('INVALID_ARGUMENT'));
    expect(() => t.send(new Uint8Array(70_000), '/x')).toThrow(code('DATAGRAM_TOO_LARGE'));
    expect(t.stats().dropped).toBe(0);
  });
});

describe('the addon itself never aborts on bad input', () => {
  type Raw = {
    bind(p: unknown): void;
    send(d: unknown, p: unknown): number;
    poll(cb: unknown, batch?: unknown, max?: unknown): void;
    close(): void;
    fd(): number;
  };
  const addon = createRequire(import.meta.url)('../build/Release/unix_dgram.node') as {
    UnixDatagramSocket: new (fd?: unknown) => Raw;
    lookupUser(n: unknown): unknown;
    lookupGroup(n: unknown): unknown;
  };

  it('throws TypeErrors for wrong types and wrong receivers', () => {
    expect(() => new addon.UnixDatagramSocket('3')).toThrow(TypeError);
    expect(() => new addon.UnixDatagramSocket(-5)).toThrow(TypeError);
    expect(() => (addon.UnixDatagramSocket as unknown as () => void)()).toThrow(TypeError);
    const s = new addon.UnixDatagramSocket();
    try {
      expect(() => s.bind(123)).toThrow(TypeError);
      expect(() => s.bind('')).toThrow(TypeError);
      expect(() => s.bind(`/${'x'.repeat(120)}`)).toThrow(TypeError);
      expect(() => s.send('x', '/p')).toThrow(TypeError);
      expect(() => s.send(new Float64Array(1), '/p')).toThrow(TypeError);
      expect(() => (s.send as (d: unknown) => number)(new Uint8Array(1))).toThrow(TypeError);
      expect(() => s.poll('nope')).toThrow(TypeError);
      expect(() => s.poll(() => undefined, 0)).toThrow(TypeError);
      expect(() => s.poll(() => undefined, 8, 1e9)).toThrow(TypeError);
      const send = Object.getPrototypeOf(s).send as (this: unknown, ...a: unknown[]) => number;
      expect(() => send.call({}, new Uint8Array(1), '/p')).toThrow(TypeError);
      expect(() => addon.lookupUser(5)).toThrow(TypeError);
      expect(() => addon.lookupGroup('')).toThrow(TypeError);
      expect(addon.lookupUser('no-such-user-mi')).toBeNull();
    } finally {
      s.close();
    }
    // after close: a plain Error, and close stays harmless
    expect(() => s.send(new Uint8Array(1), '/p')).toThrow(
      expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }),
    );
    s.close();
    s.close();
    expect(s.fd()).toBe(-1);
  });

  it('refuses a second poll on one socket', () => {
    const s = new addon.UnixDatagramSocket();
    try {
      s.poll(() => undefined, 4, 100);
      expect(() => s.poll(() => undefined)).toThrow(
        expect.objectContaining({ code: 'ERR_ALREADY_POLLING' }),
      );
    } finally {
      s.close();
    }
  });
});
