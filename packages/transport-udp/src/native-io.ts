import type { RemoteInfo, Socket } from 'node:dgram';
import { getSystemErrorName } from 'node:util';
import { loadNative, type NativePeers, type NativeSocket } from '@mi-datagram/transport-unix';
import type { UdpFamily } from './peer.js';

/** Datagrams per `recvmmsg` and per call into JavaScript. */
const BATCH = 32;
/** Receive slots of the addon: no UDP payload (at most 65527 bytes) is ever cut. */
const MAX_LENGTH = 65536;

/** A send held for a batch that did not go out with it. */
export interface Waiting {
  readonly data: Uint8Array;
  readonly address: string;
  readonly port: number;
}

/** A receive failure as node:dgram would report it (`code`, `errno`, `syscall`). */
export class NativeReceiveError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall = 'recvmmsg';

  constructor(errno: number) {
    let name: string;
    try {
      name = getSystemErrorName(errno);
    } catch {
      name = `E${-errno}`;
    }
    super(`recvmmsg ${name}`);
    this.name = 'NativeReceiveError';
    this.code = name;
    this.errno = errno;
  }
}

/** The libuv handle's descriptor (node:dgram keeps it in its 'state symbol'). */
function descriptorOf(socket: Socket): number | undefined {
  try {
    const symbol = Object.getOwnPropertySymbols(socket).find(
      (candidate) => candidate.description === 'state symbol',
    );
    if (symbol === undefined) return undefined;
    const state: unknown = (socket as unknown as Record<symbol, unknown>)[symbol];
    if (typeof state !== 'object' || state === null) return undefined;
    const handle: unknown = (state as { handle?: unknown }).handle;
    if (typeof handle !== 'object' || handle === null) return undefined;
    const fd: unknown = (handle as { fd?: unknown }).fd;
    return typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 ? fd : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The native path of a {@link UdpTransport}: a second descriptor (dup) of the
 * same UDP socket, read in batches with `recvmmsg` and written with a direct
 * `sendto`, through the addon of @mi-datagram/transport-unix. The
 * `dgram.Socket` stays the owner of the socket (bind, connect, buffer sizes,
 * handing it to a child, EAGAIN retries); this one only reads and sends.
 */
export class NativeUdp {
  readonly #socket: NativeSocket;
  readonly #family: UdpFamily;
  readonly #eagain: number;
  /** The sender of the datagram delivered last (the addon says `undefined` for "the same"). */
  #lastAddress = '';
  #lastPort = 0;
  #closed = false;
  /** Inside a receive batch: sends wait in the lists below for one `sendmmsg`. */
  #inBatch = false;
  readonly #datas: Uint8Array[] = [];
  readonly #addresses: string[] = [];
  readonly #ports: number[] = [];
  /** Told how a batch of waiting sends went: the first `sent` went out, the rest did not. */
  #flushed: (sent: number, rest: ReadonlyArray<Waiting>) => void = () => {};

  private constructor(socket: NativeSocket, family: UdpFamily, eagain: number) {
    this.#socket = socket;
    this.#family = family;
    this.#eagain = eagain;
  }

  /** A native reader/sender for `socket`, or undefined when the addon or the descriptor is unavailable. */
  static open(socket: Socket, family: UdpFamily): NativeUdp | undefined {
    if (process.platform !== 'linux') return undefined;
    const fd = descriptorOf(socket);
    if (fd === undefined) return undefined;
    try {
      const binding = loadNative();
      return new NativeUdp(
        new binding.UnixDatagramSocket(fd, true),
        family,
        -binding.constants.EAGAIN,
      );
    } catch {
      return undefined;
    }
  }

  /** `-EAGAIN` as the send methods return it. */
  get eagain(): number {
    return this.#eagain;
  }

  /**
   * Starts receiving: `onDatagram` once per datagram (a copy of its bytes and a
   * fresh `rinfo`-shaped peer), `onError` for a receive failure.
   */
  receive(
    onDatagram: (data: Buffer, rinfo: RemoteInfo) => void,
    onError: (error: NativeReceiveError) => void,
    flushed: (sent: number, rest: ReadonlyArray<Waiting>) => void,
  ): void {
    this.#flushed = flushed;
    this.#socket.poll(
      (buffer: ArrayBuffer | null, count: number, peers: NativePeers, errno: number) => {
        if (buffer === null) {
          onError(new NativeReceiveError(errno));
          return;
        }
        const meta = new Int32Array(buffer, 0, count * 2);
        const offset = count * 8;
        // Replies are held for one sendmmsg only when several requests came in together: the
        // reply to a lone request goes out at once (sendto), before the work its handler does
        // after answering (statistics, logs), which is what the requester waits for.
        this.#inBatch = count > 1;
        try {
          this.#deliver(buffer, count, peers, meta, offset, onDatagram);
        } finally {
          this.#inBatch = false;
          this.flush();
        }
      },
      BATCH,
      MAX_LENGTH,
      false,
    );
  }

  #deliver(
    buffer: ArrayBuffer,
    count: number,
    peers: NativePeers,
    meta: Int32Array,
    offset: number,
    onDatagram: (data: Buffer, rinfo: RemoteInfo) => void,
  ): void {
    const family = this.#family;
    let failed = false;
    let thrown: unknown;
    for (let i = 0; i < count; i++) {
      const length = meta[2 * i] ?? 0;
      const sender =
        count === 1 ? (peers as string | null | undefined) : (peers as NativePeers[])[i];
      if (typeof sender === 'string') {
        const space = sender.indexOf(' ');
        this.#lastPort = Number(sender.slice(0, space));
        this.#lastAddress = sender.slice(space + 1);
      } else if (sender === null) {
        this.#lastPort = 0;
        this.#lastAddress = '';
      }
      const data = Buffer.from(buffer, offset, length);
      offset += length;
      if (this.#closed) break;
      try {
        onDatagram(data, {
          address: this.#lastAddress,
          family,
          port: this.#lastPort,
          size: length,
        });
      } catch (error) {
        // As with node:dgram (one event per datagram), the rest are still
        // delivered; the first exception is rethrown (uncaught) afterwards.
        if (!failed) thrown = error;
        failed = true;
      }
    }
    if (failed) throw thrown;
  }

  /**
   * Keeps a send for the `sendmmsg` at the end of the receive batch being
   * delivered; false when no batch is being delivered (send it now).
   */
  hold(data: Uint8Array, address: string, port: number): boolean {
    if (!this.#inBatch || this.#closed) return false;
    this.#datas.push(data);
    this.#addresses.push(address);
    this.#ports.push(port);
    return true;
  }

  /** Sends the held datagrams; reports through the `flushed` callback of {@link receive}. */
  flush(): void {
    const datas = this.#datas;
    const count = datas.length;
    if (count === 0) return;
    let done = 0;
    let sent = 0;
    while (done < count) {
      const r = this.#socket.sendInetMany(
        done === 0 ? datas : datas.slice(done),
        done === 0 ? this.#addresses : this.#addresses.slice(done),
        done === 0 ? this.#ports : this.#ports.slice(done),
        count - done,
      );
      if (r <= 0) break;
      done += r;
      sent += r;
    }
    const rest: Waiting[] = [];
    for (let i = done; i < count; i++) {
      rest.push({
        data: datas[i] as Uint8Array,
        address: this.#addresses[i] as string,
        port: this.#ports[i] as number,
      });
    }
    datas.length = 0;
    this.#addresses.length = 0;
    this.#ports.length = 0;
    this.#flushed(sent, rest);
  }

  /** Bytes sent or a negative errno; `-EINVAL` when `address` is not a plain literal. */
  send(data: Uint8Array, address: string, port: number): number {
    return this.#socket.sendInet(data, address, port);
  }

  /** To the connected peer: bytes sent or a negative errno. */
  sendConnected(data: Uint8Array): number {
    return this.#socket.send(data, null);
  }

  ref(): void {
    if (!this.#closed) this.#socket.ref();
  }

  unref(): void {
    if (!this.#closed) this.#socket.unref();
  }

  /** Stops receiving and closes the duplicate (never the dgram.Socket's descriptor). */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    this.#socket.close();
  }
}
