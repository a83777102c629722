/**
 * Adopting the pool's sockets in a worker: the inherited UNIX descriptor or
 * the UDP socket the primary sends, wrapped in a transport whose handler
 * counts async work in flight and delivers nothing once the worker stops.
 */
import { Socket } from 'node:dgram';
import type { DatagramHandler, DatagramTransport } from '@mi-datagram/protocol';
import { adoptUdpSocket, type UdpPeer } from '@mi-datagram/transport-udp';
import { adoptUnixSocket, type UnixPeer } from '@mi-datagram/transport-unix';
import { errorMessage, WorkerPoolError } from './errors.js';
import { call, DEFAULT_TIMEOUT_MS, log } from './worker-channel.js';
import type { AdoptOptions, WorkerDatagramHandler, WorkerPeer } from './worker-context.js';
import { finishedOne, initMessage, isStopping, startedOne } from './worker-state.js';

/** Adopted transports, by socket index. */
const adopted = new Map<number, DatagramTransport<WorkerPeer>>();
const adopting = new Set<number>();

/** Every transport adopted so far. */
export function adoptedTransports(): DatagramTransport<WorkerPeer>[] {
  return [...adopted.values()];
}

/** Wraps the module's handler: no delivery once stopping; async handlers are counted in flight. */
function guard(handler: WorkerDatagramHandler): DatagramHandler<WorkerPeer> {
  return (data, peer, info) => {
    if (isStopping()) return;
    let result: void | Promise<void>;
    try {
      result = handler(data, peer, info);
    } catch (error) {
      log('error', `datagram handler threw: ${errorMessage(error)}`);
      return;
    }
    if (result instanceof Promise) {
      startedOne();
      result.then(finishedOne, (error: unknown) => {
        log('error', `datagram handler failed: ${errorMessage(error)}`);
        finishedOne();
      });
    }
  };
}

export async function adopt(
  onMessage: WorkerDatagramHandler,
  options: AdoptOptions = {},
): Promise<DatagramTransport<WorkerPeer>> {
  const current = initMessage();
  if (current === null) throw new WorkerPoolError('INVALID_MESSAGE', 'adopt() before init');
  if (typeof onMessage !== 'function') {
    throw new WorkerPoolError('INVALID_OPTIONS', 'adopt(onMessage): onMessage must be a function');
  }
  const index = options.socket ?? 0;
  const socket = Number.isSafeInteger(index) ? current.sockets[index] : undefined;
  if (socket === undefined) {
    throw new WorkerPoolError(
      'INVALID_OPTIONS',
      `adopt(): options.socket must be an index 0..${current.sockets.length - 1}, got ${String(index)}`,
    );
  }
  if (adopted.has(index) || adopting.has(index)) {
    throw new WorkerPoolError(
      'INVALID_OPTIONS',
      `adopt() may be called once per socket (socket ${index} is adopted already)`,
    );
  }
  if (isStopping()) throw new WorkerPoolError('POOL_CLOSED', 'this worker is stopping');
  adopting.add(index);
  try {
    const onError = options.onError ?? ((error: Error) => log('error', error.message));
    const onWarning = (warning: Error | string): void =>
      log('warn', typeof warning === 'string' ? warning : warning.message);
    const common =
      options.socketTimeout === undefined ? {} : { socketTimeout: options.socketTimeout };
    const handler = guard(onMessage);
    let transport: DatagramTransport<WorkerPeer>;
    if (socket.kind === 'unix') {
      if (socket.fd === null)
        throw new WorkerPoolError('INVALID_MESSAGE', 'no descriptor was inherited');
      const onUnix: DatagramHandler<UnixPeer> = handler;
      transport = adoptUnixSocket(socket.fd, {
        ...options.unix,
        ...common,
        address: socket.address,
        onMessage: onUnix,
        onError,
        onWarning,
      });
    } else {
      // The primary sends the bound socket now. node:dgram starts reading as
      // soon as it arrives; the transport below attaches its listener in the
      // same tick, before any I/O can run, so no datagram is read unheard.
      const { handle } = await call({ op: 'socket', index }, DEFAULT_TIMEOUT_MS);
      if (!(handle instanceof Socket)) {
        throw new WorkerPoolError('INVALID_MESSAGE', 'the primary sent no UDP socket');
      }
      const onUdp: DatagramHandler<UdpPeer> = handler;
      transport = adoptUdpSocket(handle, {
        ...options.udp,
        ...common,
        onMessage: onUdp,
        onError,
        onWarning,
      });
    }
    adopted.set(index, transport);
    if (isStopping()) void transport.close();
    return transport;
  } finally {
    adopting.delete(index);
  }
}
