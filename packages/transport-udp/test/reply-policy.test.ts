import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import {
  adoptUdpSocket,
  bindUdpSocket,
  type UdpTransport,
  type UdpTransportError,
} from '../src/index.js';
import { bindInbox, pattern, peerOf, tick, waitFor } from './helpers.js';

const open: UdpTransport[] = [];
afterEach(async () => {
  for (const transport of open.splice(0)) await transport.close();
});

async function pair(
  options: Parameters<typeof bindUdpSocket>[2] = {},
): Promise<{ sender: UdpTransport; receiver: Awaited<ReturnType<typeof bindInbox>> }> {
  const receiver = await bindInbox('127.0.0.1');
  const sender = await bindUdpSocket('127.0.0.1', 0, options);
  open.push(receiver.transport, sender);
  return { sender, receiver };
}

type SendCallback = (error: Error | null, bytes?: number) => void;

/**
 * A bound socket whose sends never complete until the test says so: stands in
 * for a send stuck in libuv's queue (the kernel answering EAGAIN), which
 * loopback UDP never produces.
 */
async function stalledSocket(): Promise<{ socket: Socket; callbacks: SendCallback[] }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const callbacks: SendCallback[] = [];
  const fake = (...args: unknown[]): void => {
    const callback = args[args.length - 1];
    if (typeof callback === 'function') callbacks.push(callback as SendCallback);
  };
  socket.send = fake as Socket['send'];
  return { socket, callbacks };
}

describe('pending bound', () => {
  it('drops and counts the sends beyond maxPendingReplies', async () => {
    const warnings: UdpTransportError[] = [];
    const { sender, receiver } = await pair({
      maxPendingReplies: 4,
      onWarning: (warning) => warnings.push(warning),
    });
    const peer = peerOf(receiver.transport);
    // Sends complete on a later tick, so all of these are outstanding at once.
    const outcomes = Array.from({ length: 6 }, (_, i) => sender.send(Uint8Array.of(i), peer));
    expect(outcomes).toEqual(['sent', 'sent', 'sent', 'sent', 'dropped', 'dropped']);
    expect(sender.stats()).toMatchObject({
      outstanding: 4,
      outstandingBytes: 4,
      dropped: 2,
      droppedPendingLimit: 2,
    });
    expect(warnings.map((warning) => warning.code)).toEqual(['PENDING_LIMIT', 'PENDING_LIMIT']);
    await waitFor(() => sender.stats().sent === 4, 2000, 'completions');
    expect(sender.stats()).toMatchObject({ outstanding: 0, outstandingBytes: 0 });
    const got = [];
    for (let i = 0; i < 4; i++) got.push((await receiver.next()).data[0]);
    expect(got).toEqual([0, 1, 2, 3]);
    // The bound frees up once the sends complete.
    expect(sender.send(Uint8Array.of(9), peer)).toBe('sent');
  });

  it('drops and counts the sends beyond maxPendingBytes', async () => {
    const { sender, receiver } = await pair({ maxPendingBytes: 100_000 });
    const peer = peerOf(receiver.transport);
    expect(sender.send(pattern(60_000), peer)).toBe('sent');
    expect(sender.send(pattern(40_000), peer)).toBe('sent');
    expect(sender.send(Uint8Array.of(1), peer)).toBe('dropped');
    expect(sender.stats()).toMatchObject({
      outstandingBytes: 100_000,
      droppedPendingLimit: 1,
      dropped: 1,
    });
    await waitFor(() => sender.stats().outstanding === 0, 2000, 'completions');
    expect(sender.stats()).toMatchObject({ sent: 2, outstandingBytes: 0 });
  });

  it('grows its bookkeeping past the initial capacity without losing order', async () => {
    const { sender, receiver } = await pair({ maxPendingReplies: 200 });
    const peer = peerOf(receiver.transport);
    for (let i = 0; i < 150; i++) expect(sender.send(pattern(i + 1), peer)).toBe('sent');
    expect(sender.stats().outstandingBytes).toBe((150 * 151) / 2);
    await waitFor(() => sender.stats().sent === 150, 2000, 'completions');
    expect(sender.stats()).toMatchObject({ outstanding: 0, outstandingBytes: 0, dropped: 0 });
  });
});

describe('socket_timeout', () => {
  it('gives up sends not completed within socketTimeout: counted dropped and reported', async () => {
    const { socket, callbacks } = await stalledSocket();
    const warnings: UdpTransportError[] = [];
    const transport = adoptUdpSocket(socket, {
      socketTimeout: 50,
      onWarning: (warning) => warnings.push(warning),
    });
    open.push(transport);
    const peer = { address: '127.0.0.1', port: 9, family: 'IPv4' } as const;
    expect(transport.send(pattern(10), peer)).toBe('sent');
    expect(transport.send(pattern(20), peer)).toBe('sent');
    expect(transport.stats()).toMatchObject({ outstanding: 2, dropped: 0 });
    await waitFor(() => transport.stats().droppedTimeout === 2, 3000, 'timeout');
    expect(transport.stats()).toMatchObject({ dropped: 2, sent: 0, outstanding: 2 });
    // One warning per sweep: both may expire in one sweep or in two.
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(new Set(warnings.map((warning) => warning.code))).toEqual(new Set(['SEND_TIMEOUT']));
    // Given-up sends still occupy memory until they complete, so they still count
    // toward the bound; a late completion is not counted as sent.
    callbacks[0]?.(null, 10);
    callbacks[1]?.(new Error('late failure'));
    expect(transport.stats()).toMatchObject({
      dropped: 2,
      sent: 0,
      lateSent: 1,
      outstanding: 0,
      outstandingBytes: 0,
    });
  });

  it('only gives up the sends that are late; later ones get their own deadline', async () => {
    const { socket, callbacks } = await stalledSocket();
    const transport = adoptUdpSocket(socket, { socketTimeout: 300 });
    open.push(transport);
    const peer = { address: '127.0.0.1', port: 9, family: 'IPv4' } as const;
    transport.send(pattern(1), peer);
    await waitFor(() => transport.stats().droppedTimeout === 1, 3000, 'first timeout');
    transport.send(pattern(2), peer);
    callbacks[0]?.(null, 1);
    expect(transport.stats()).toMatchObject({ droppedTimeout: 1, outstanding: 1, lateSent: 1 });
    callbacks[1]?.(null, 2);
    expect(transport.stats()).toMatchObject({ droppedTimeout: 1, sent: 1, outstanding: 0 });
  });

  it('counts a send whose completion reports an error as dropped and reports it', async () => {
    const { socket, callbacks } = await stalledSocket();
    const errors: UdpTransportError[] = [];
    const transport = adoptUdpSocket(socket, { onError: (error) => errors.push(error) });
    open.push(transport);
    const peer = { address: '127.0.0.1', port: 9, family: 'IPv4' } as const;
    expect(transport.send(pattern(5), peer)).toBe('sent');
    const failure = Object.assign(new Error('send EPERM'), { code: 'EPERM' });
    callbacks[0]?.(failure);
    expect(transport.stats()).toMatchObject({ dropped: 1, droppedError: 1, outstanding: 0 });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'SEND_FAILED', systemCode: 'EPERM' });
    expect(errors[0]?.cause).toBe(failure);
  });

  it("returns 'queued' behind datagrams libuv is still retrying", async () => {
    const { socket } = await stalledSocket();
    socket.getSendQueueCount = () => 3;
    const transport = adoptUdpSocket(socket);
    open.push(transport);
    const peer = { address: '127.0.0.1', port: 9, family: 'IPv4' } as const;
    expect(transport.send(pattern(5), peer)).toBe('queued');
    expect(transport.stats()).toMatchObject({ retried: 1, pending: 3, outstanding: 1 });
  });
});

describe('close', () => {
  it('lets sends made just before close() go out', async () => {
    const { sender, receiver } = await pair();
    sender.send(Uint8Array.of(7), peerOf(receiver.transport));
    await sender.close();
    expect([...(await receiver.next()).data]).toEqual([7]);
    expect(sender.stats()).toMatchObject({ sent: 1, dropped: 0 });
  });

  it('drops and counts a send after close, without throwing', async () => {
    const { sender, receiver } = await pair();
    await sender.close();
    expect(sender.send(Uint8Array.of(1), peerOf(receiver.transport))).toBe('dropped');
    expect(sender.stats()).toMatchObject({ dropped: 1, droppedClosed: 1, sent: 0 });
    expect(sender.closed).toBe(true);
  });

  it('is idempotent: double close returns the same promise and releases once', async () => {
    const { sender } = await pair();
    const first = sender.close();
    const second = sender.close();
    expect(second).toBe(first);
    await first;
    await sender.close();
    expect(sender.closed).toBe(true);
    expect(sender.receiveBufferSize).toBe(0);
    // The port is free again.
    const again = await bindUdpSocket('127.0.0.1', sender.port);
    open.push(again);
    expect(again.port).toBe(sender.port);
  });

  it('counts sends stuck at close as dropped', async () => {
    const { socket } = await stalledSocket();
    const transport = adoptUdpSocket(socket);
    transport.send(pattern(3), { address: '127.0.0.1', port: 9, family: 'IPv4' });
    await transport.close();
    expect(transport.stats()).toMatchObject({ outstanding: 0, dropped: 1, droppedClosed: 1 });
  });

  it('stops delivering at once', async () => {
    const received: number[] = [];
    const server = await bindUdpSocket('127.0.0.1', 0, {
      onMessage: (data) => received.push(data[0] ?? -1),
    });
    const { sender } = await pair();
    sender.send(Uint8Array.of(1), peerOf(server));
    await waitFor(() => received.length === 1, 2000, 'first datagram');
    const closing = server.close();
    sender.send(Uint8Array.of(2), peerOf(server));
    await closing;
    await tick();
    expect(received).toEqual([1]);
  });

  it('notices a socket closed underneath it', async () => {
    const { socket } = await stalledSocket();
    const transport = adoptUdpSocket(socket);
    socket.close();
    await transport.close();
    expect(transport.closed).toBe(true);
  });
});

describe('handler errors', () => {
  it('reports an exception thrown by onMessage through onError and keeps receiving', async () => {
    const errors: UdpTransportError[] = [];
    let calls = 0;
    const server = await bindUdpSocket('127.0.0.1', 0, {
      onMessage: () => {
        calls++;
        if (calls === 1) throw new Error('boom');
      },
      onError: (error) => errors.push(error),
    });
    open.push(server);
    const { sender } = await pair();
    sender.send(Uint8Array.of(1), peerOf(server));
    await waitFor(() => calls === 1, 2000, 'first delivery');
    sender.send(Uint8Array.of(2), peerOf(server));
    await waitFor(() => calls === 2, 2000, 'second delivery');
    expect(errors.map((error) => error.code)).toEqual(['HANDLER_FAILED']);
    expect(server.stats().received).toBe(2);
  });
});

describe('socket closed underneath', () => {
  it('a send in the same tick as an outside socket.close() is dropped and reported, not thrown', async () => {
    const errors: UdpTransportError[] = [];
    const { socket } = await stalledSocket();
    const transport = adoptUdpSocket(socket, { onError: (error) => errors.push(error) });
    // Restore the real send so that node:dgram's own closed-socket check runs.
    Reflect.deleteProperty(socket, 'send');
    socket.close();
    expect(
      transport.send(Uint8Array.of(1), { address: '127.0.0.1', port: 9, family: 'IPv4' }),
    ).toBe('dropped');
    expect(transport.stats()).toMatchObject({ dropped: 1, outstanding: 0, outstandingBytes: 0 });
    expect(errors.map((error) => error.code)).toEqual(['SEND_FAILED']);
    await transport.close();
  });
});
