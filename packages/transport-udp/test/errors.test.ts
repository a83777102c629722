import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import {
  adoptUdpSocket,
  bindUdpSocket,
  openUdpReplySocket,
  resolveUdpPeer,
  type UdpTransport,
  UdpTransportError,
} from '../src/index.js';

const open: UdpTransport[] = [];
afterEach(async () => {
  for (const transport of open.splice(0)) await transport.close();
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(UdpTransportError);
    return (error as UdpTransportError).code;
  }
  throw new Error('expected a rejection');
}

function thrownCode(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(UdpTransportError);
    return (error as UdpTransportError).code;
  }
  throw new Error('expected an exception');
}

describe('bind errors', () => {
  it.each(['127.0.0.1', '::1'])('reports EADDRINUSE on %s as ADDRESS_IN_USE', async (host) => {
    const first = await bindUdpSocket(host, 0);
    open.push(first);
    let error: unknown;
    try {
      await bindUdpSocket(host, first.port);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UdpTransportError);
    expect(error).toMatchObject({
      code: 'ADDRESS_IN_USE',
      systemCode: 'EADDRINUSE',
      address: first.address,
    });
  });

  it('reports an unresolvable host name as HOST_NOT_FOUND', async () => {
    const lookup = async (): Promise<never> => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    await expect(bindUdpSocket('no-such-host.invalid', 0, { lookup })).rejects.toMatchObject({
      code: 'HOST_NOT_FOUND',
      systemCode: 'ENOTFOUND',
    });
    await expect(openUdpReplySocket({ host: 'nowhere.invalid' }, { lookup })).rejects.toMatchObject(
      { code: 'HOST_NOT_FOUND' },
    );
    await expect(resolveUdpPeer('nowhere.invalid', 1, { lookup })).rejects.toMatchObject({
      code: 'HOST_NOT_FOUND',
    });
  });

  it('reports a lookup without an address of the requested family as HOST_NOT_FOUND', async () => {
    const lookup = async () => ({ address: '127.0.0.1', family: 4 });
    await expect(
      openUdpReplySocket({ host: 'v4only.test', family: 6 }, { lookup }),
    ).rejects.toMatchObject({ code: 'HOST_NOT_FOUND' });
  });

  it('uses the family of the lookup result', async () => {
    const lookup = async () => ({ address: '::1', family: 6 });
    const transport = await bindUdpSocket('my-loopback.test', 0, { lookup });
    open.push(transport);
    expect(transport.family).toBe('IPv6');
    expect(transport.address).toBe(`udp:[::1]:${transport.port}`);
  });
});

describe('bad arguments', () => {
  it.each([
    ['empty host', '', 0],
    ['non-string host', 42 as unknown as string, 0],
    ['brackets around IPv4', '[127.0.0.1]', 0],
    ['negative port', '127.0.0.1', -1],
    ['port above 65535', '127.0.0.1', 65536],
    ['fractional port', '127.0.0.1', 1.5],
    ['NaN port', '127.0.0.1', Number.NaN],
  ])('bindUdpSocket refuses %s', async (_label, host, port) => {
    expect(await codeOf(bindUdpSocket(host, port))).toBe('INVALID_ARGUMENT');
  });

  it.each([
    ['socketTimeout: -1', { socketTimeout: -1 }],
    ['socketTimeout: Infinity', { socketTimeout: Number.POSITIVE_INFINITY }],
    ['maxPendingReplies: 0', { maxPendingReplies: 0 }],
    ['maxPendingBytes below one datagram', { maxPendingBytes: 1000 }],
    ['receiveBufferSize: 0', { receiveBufferSize: 0 }],
    ['onMessage not a function', { onMessage: 'x' as unknown as () => void }],
  ])('bindUdpSocket refuses options %s', async (_label, options) => {
    expect(await codeOf(bindUdpSocket('127.0.0.1', 0, options))).toBe('INVALID_ARGUMENT');
  });

  it('openUdpReplySocket refuses a bad target', async () => {
    expect(await codeOf(openUdpReplySocket(null as unknown as { host: string }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await codeOf(openUdpReplySocket({ host: '127.0.0.1', family: 5 as 4 }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await codeOf(openUdpReplySocket({ host: '::1', family: 4 }))).toBe('INVALID_ARGUMENT');
  });

  it('send refuses bad data and peers with typed errors and counts nothing', async () => {
    const transport = await bindUdpSocket('127.0.0.1', 0);
    open.push(transport);
    const ok = { address: '127.0.0.1', port: 9, family: 'IPv4' } as const;
    const cases: Array<() => unknown> = [
      () => transport.send('text' as unknown as Uint8Array, ok),
      () => transport.send(Uint8Array.of(1), null as unknown as typeof ok),
      () => transport.send(Uint8Array.of(1), { ...ok, port: 0 }),
      () => transport.send(Uint8Array.of(1), { ...ok, port: 70000 }),
      () => transport.send(Uint8Array.of(1), { ...ok, address: 'localhost' }),
      () => transport.send(Uint8Array.of(1), { address: '::1', port: 9, family: 'IPv6' }),
    ];
    for (const action of cases) expect(thrownCode(action)).toBe('INVALID_ARGUMENT');
    expect(transport.stats()).toMatchObject({ sent: 0, dropped: 0, outstanding: 0 });
  });

  it('adoptUdpSocket refuses what is not a bound socket, or is owned already', async () => {
    expect(thrownCode(() => adoptUdpSocket({} as never))).toBe('INVALID_ARGUMENT');
    const unbound = createSocket('udp4');
    expect(thrownCode(() => adoptUdpSocket(unbound))).toBe('INVALID_ARGUMENT');
    unbound.close();

    const transport = await bindUdpSocket('127.0.0.1', 0);
    expect(thrownCode(() => adoptUdpSocket(transport.socket))).toBe('INVALID_ARGUMENT');
    await transport.close();
    expect(thrownCode(() => adoptUdpSocket(transport.socket))).toBe('CLOSED');
  });
});
