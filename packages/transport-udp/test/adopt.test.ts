import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { bindUdpSocket, type UdpTransport, type UdpTransportError } from '../src/index.js';
import { openInbox, peerOf } from './helpers.js';

const CHILD = fileURLToPath(new URL('./fixtures/adopt-child.ts', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

const children: ChildProcess[] = [];
const transports: UdpTransport[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill();
  for (const transport of transports.splice(0)) await transport.close();
});

function nextMessage<T>(
  child: ChildProcess,
  accept: (message: unknown) => T | undefined,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error('child did not answer within 15 s'));
    }, 15_000);
    const onMessage = (message: unknown): void => {
      const value = accept(message);
      if (value !== undefined) {
        cleanup();
        resolve(value);
      }
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`child exited with ${code}`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

function startChild(): ChildProcess {
  const child = fork(CHILD, [], {
    cwd: PACKAGE_DIR,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  return child;
}

describe('adopting an inherited socket', () => {
  it('a primary that only binds hands its socket to two forked children that both receive', async () => {
    const warnings: UdpTransportError[] = [];
    // No onMessage: the primary must not read (it would steal the workers' datagrams).
    const primary = await bindUdpSocket('127.0.0.1', 0, {
      onWarning: (warning) => warnings.push(warning),
    });
    transports.push(primary);
    let stolen = 0;
    primary.socket.on('message', () => stolen++);

    const workers = [startChild(), startChild()];
    await Promise.all(
      workers.map((child) => nextMessage(child, (m) => (m === 'up' ? true : undefined))),
    );
    const adopted = await Promise.all(
      workers.map((child) => {
        const reply = nextMessage(child, (m) =>
          typeof m === 'object' && m !== null && 'adopted' in m
            ? (m as { adopted: string; pid: number })
            : undefined,
        );
        child.send('adopt', primary.socket);
        return reply;
      }),
    );
    for (const entry of adopted) expect(entry.adopted).toBe(primary.address);

    // Ping-pong until both workers have answered (the kernel picks the reader).
    const client = await openInbox({ host: '127.0.0.1' });
    transports.push(client.transport);
    const counts = new Map<string, number>();
    let requests = 0;
    while (requests < 5000 && (counts.size < 2 || requests < 50)) {
      requests++;
      client.transport.send(Uint8Array.of(requests & 0xff), peerOf(primary));
      const reply = await client.next(5000);
      const pid = new TextDecoder().decode(reply.data);
      counts.set(pid, (counts.get(pid) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(adopted.map((entry) => String(entry.pid)).sort());
    let answered = 0;
    for (const count of counts.values()) answered += count;
    expect(answered).toBe(requests);
    expect(stolen).toBe(0);
    expect(primary.stats().received).toBe(0);
    expect(warnings).toEqual([]);

    const stopped = await Promise.all(
      workers.map((child) => {
        const reply = nextMessage(child, (m) =>
          typeof m === 'object' && m !== null && 'stopped' in m
            ? (m as { stopped: { received: number; sent: number; dropped: number } })
            : undefined,
        );
        child.send('stop');
        return reply;
      }),
    );
    let received = 0;
    for (const { stopped: stats } of stopped) {
      expect(stats.received).toBeGreaterThan(0);
      expect(stats.sent).toBe(stats.received);
      expect(stats.dropped).toBe(0);
      received += stats.received;
    }
    expect(received).toBe(requests);
  });
});
