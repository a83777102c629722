import { type RemoteInfo, Socket } from 'node:dgram';
import { isIP } from 'node:net';
import {
  type DatagramHandler,
  type DatagramInfo,
  type DatagramTransport,
  MAX_DATAGRAM_SIZE,
  type SendOutcome,
} from '@mi-datagram/protocol';
import { applyBufferSizes } from './buffer-size.js';
import { invalidArgument, systemCodeDetail, UdpTransportError } from './errors.js';
import { NativeUdp, type Waiting } from './native-io.js';
import { type ResolvedOptions, resolveOptions, type UdpTransportOptions } from './options.js';
import { formatUdpAddress, type UdpFamily, type UdpPeer } from './peer.js';
import { SendLedger } from './send-ledger.js';
import type { UdpTransportStats } from './stats.js';
import { stopReceiving } from './stop-receiving.js';

const WHOLE: DatagramInfo = Object.freeze({ truncated: false });
const TRUNCATED: DatagramInfo = Object.freeze({ truncated: true });
/**
 * Largest UDP payload without IPv6 jumbograms (65535 - 8-byte UDP header).
 * Node reads into a 64 KiB buffer, so no datagram can be cut; anything
 * longer would mean a cut one.
 */
const MAX_UDP_PAYLOAD = 65527;

/** Sockets a transport has closed, to tell them apart on a second adoption. */
const closedSockets = new WeakSet<Socket>();
/** Sockets owned by a live transport. */
const adoptedSockets = new WeakSet<Socket>();

/**
 * A bound UDP socket implementing the {@link DatagramTransport} contract.
 * Create one with {@link bindUdpSocket}, {@link openUdpReplySocket} or
 * {@link adoptUdpSocket} (the constructor is the latter).
 */
export class UdpTransport implements DatagramTransport<UdpPeer> {
  /** `udp:127.0.0.1:40123` or `udp:[::1]:40123`, with the real port. */
  readonly address: string;
  /** The bound IP address (no brackets). */
  readonly host: string;
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number;
  readonly family: UdpFamily;

  readonly #socket: Socket;
  readonly #options: ResolvedOptions;
  readonly #familyNumber: 4 | 6;
  #closed = false;
  #closePromise: Promise<void> | undefined;
  #resolveClosed: (() => void) | undefined;
  #referenced = true;
  /** The peer of a completed {@link connect}, while the association lasts. */
  #connected: { readonly address: string; readonly port: number } | undefined;
  /** A {@link connect} in progress: its promise's reject, for close(). */
  #connecting: ((error: UdpTransportError) => void) | undefined;
  /** Sends made while a connect() was in progress, handed over when it ends. */
  #waiting:
    | Array<{ readonly data: Uint8Array; readonly address: string; readonly port: number }>
    | undefined;
  #messageListenerRef: ((data: Buffer, rinfo: RemoteInfo) => void) | undefined;
  /** The addon's reader/sender on a duplicate of the socket's descriptor, if in use. */
  #native: NativeUdp | undefined;
  /** Sends held by #native for the end of the receive batch being delivered. */
  #held = 0;

  // Counters (those of outstanding sends are the ledger's).
  #received = 0;
  #truncated = 0;
  #retried = 0;
  #droppedPendingLimit = 0;
  #droppedTooLarge = 0;
  /** Outstanding sends (IP-literal peers only, see send()), completions and timeouts. */
  readonly #ledger: SendLedger;

  /**
   * Takes over `socket`, which must be a bound `dgram.Socket` (bound here, or
   * received from another process). The transport owns it from now on and
   * closes it in {@link close}.
   */
  constructor(socket: Socket, options?: UdpTransportOptions) {
    if (!(socket instanceof Socket)) throw invalidArgument('socket must be a dgram.Socket');
    if (closedSockets.has(socket)) {
      throw new UdpTransportError('CLOSED', 'socket was closed by a transport already');
    }
    if (adoptedSockets.has(socket)) {
      throw invalidArgument('socket is already owned by another transport');
    }
    this.#options = resolveOptions(options);
    this.#ledger = new SendLedger(this.#options.socketTimeout, {
      closed: () => this.#closed,
      failed: (error) =>
        this.#report(
          new UdpTransportError(
            'SEND_FAILED',
            `send from ${this.address} failed: ${error.message}`,
            {
              address: this.address,
              cause: error,
              ...systemCodeDetail(error),
            },
          ),
        ),
      timedOut: (count, timeout) =>
        this.#warn(
          new UdpTransportError(
            'SEND_TIMEOUT',
            `${count} replies from ${this.address} not completed within ${timeout} ms: counted dropped`,
            { address: this.address },
          ),
        ),
    });
    let local: { address: string; port: number; family: string };
    try {
      local = socket.address();
    } catch (error) {
      throw new UdpTransportError('INVALID_ARGUMENT', 'socket is not bound (or already closed)', {
        cause: error,
      });
    }
    const family = isIP(local.address);
    if (family !== 4 && family !== 6) {
      throw invalidArgument(`socket has an unexpected local address ${local.address}`);
    }
    adoptedSockets.add(socket);
    this.#socket = socket;
    this.#familyNumber = family;
    this.family = family === 4 ? 'IPv4' : 'IPv6';
    this.host = local.address;
    this.port = local.port;
    this.address = formatUdpAddress(local.address, local.port, this.family);

    socket.on('error', this.#onSocketError);
    socket.on('close', this.#onSocketClose);
    const { onMessage, onError } = this.#options;
    if (onMessage === undefined) {
      if (!stopReceiving(socket)) {
        this.#warn(
          new UdpTransportError(
            'RECEIVE_NOT_STOPPED',
            `${this.address}: could not stop reading; this process may consume datagrams meant for others`,
            { address: this.address },
          ),
        );
      }
    } else {
      const listener =
        onError === undefined
          ? this.#messageListener(onMessage)
          : this.#guardedMessageListener(onMessage, onError);
      const native = this.#options.native ? NativeUdp.open(socket, this.family) : undefined;
      if (native !== undefined && stopReceiving(socket)) {
        this.#native = native;
        native.receive(listener, this.#onSocketError, this.#onFlushed);
      } else {
        native?.close();
        this.#messageListenerRef = listener;
        socket.on('message', listener);
      }
    }
    applyBufferSizes(socket, this.#options, this.address, (warning) => this.#warn(warning));
  }

  /**
   * Sends one datagram to `peer` (whose `address` must be an IP literal of the
   * socket's family: host names are resolved once, see `resolveUdpPeer`).
   * While a {@link connect} is in progress, sends wait for it to end (a few
   * ticks) and are handed over in order then.
   *
   * - `'sent'`: handed over; node:dgram passes it to the kernel on this tick.
   * - `'queued'`: handed over, but behind datagrams the kernel refused with
   *   EAGAIN that libuv is retrying; it goes out when the kernel takes them.
   * - `'dropped'`: not sent, counted: transport closed, larger than 65457
   *   bytes (also reported as `DATAGRAM_TOO_LARGE` through `onError`), or
   *   `maxPendingReplies`/`maxPendingBytes` reached.
   *
   * A handed-over send is later counted `sent`, or `dropped` if the kernel
   * refuses it (`SEND_FAILED` through `onError`) or if it is still not
   * complete after `socketTimeout` ms. `data` must not change until then.
   * Never throws except for bad arguments (`INVALID_ARGUMENT`).
   */
  send(data: Uint8Array, peer: UdpPeer): SendOutcome {
    if (!(data instanceof Uint8Array)) throw invalidArgument('data must be a Uint8Array');
    this.#checkPeer(peer);
    const { address, port } = peer;
    if (this.#closed) {
      this.#ledger.droppedClosed++;
      return 'dropped';
    }
    const length = data.byteLength;
    if (length > MAX_DATAGRAM_SIZE) {
      this.#droppedTooLarge++;
      this.#report(
        new UdpTransportError(
          'DATAGRAM_TOO_LARGE',
          `datagram of ${length} bytes to ${formatUdpAddress(address, port, this.family)} not sent: the limit is ${MAX_DATAGRAM_SIZE}`,
          { address: formatUdpAddress(address, port, this.family) },
        ),
      );
      return 'dropped';
    }
    const ledger = this.#ledger;
    if (
      ledger.outstanding >= this.#options.maxPendingReplies ||
      ledger.outstandingBytes + length > this.#options.maxPendingBytes
    ) {
      this.#droppedPendingLimit++;
      if (this.#options.onWarning !== undefined) {
        this.#warn(
          new UdpTransportError(
            'PENDING_LIMIT',
            `reply to ${formatUdpAddress(address, port, this.family)} dropped: ${ledger.outstanding} replies (${ledger.outstandingBytes} bytes) outstanding`,
            { address: formatUdpAddress(address, port, this.family) },
          ),
        );
      }
      return 'dropped';
    }
    // Recorded before the hand-over so that even a completion reported at
    // once finds its entry.
    ledger.push(length);
    if (this.#connecting !== undefined) {
      // node:dgram would send this by address once the connect completed,
      // which libuv refuses (EISCONN): it waits for the connect instead.
      if (this.#waiting === undefined) this.#waiting = [];
      this.#waiting.push({ data, address, port });
      return 'sent';
    }
    return this.#handOver(data, address, port, true);
  }

  /** Throws `INVALID_ARGUMENT` unless `peer` is a port and an IP literal of this socket's family. */
  #checkPeer(peer: unknown): asserts peer is UdpPeer {
    if (typeof peer !== 'object' || peer === null) throw invalidArgument('peer must be an object');
    const { address, port } = peer as { readonly address?: unknown; readonly port?: unknown };
    if (typeof port !== 'number' || !(port >= 1 && port <= 65535) || Math.floor(port) !== port) {
      throw invalidArgument(`peer port must be an integer from 1 to 65535, got ${String(port)}`);
    }
    if (typeof address !== 'string' || isIP(address) !== this.#familyNumber) {
      throw invalidArgument(
        `peer address must be an ${this.family} literal for ${this.address}, got ${String(address)}`,
      );
    }
  }

  /** Gives a send recorded by #push to node:dgram. `last`: its entry is the newest one. */
  #handOver(data: Uint8Array, address: string, port: number, last: boolean): SendOutcome {
    const connected = this.#connected;
    const toConnected =
      connected !== undefined && connected.port === port && connected.address === address;
    // node:dgram sends only to its connected peer: another peer ends the association.
    if (connected !== undefined && !toConnected) this.disconnect();
    const native = this.#native;
    // The native path sends at once when nothing else is outstanding (so that
    // completions stay in order); EAGAIN or anything unusual goes to node:dgram.
    if (native !== undefined && last && this.#ledger.outstanding === this.#held + 1) {
      if (!toConnected && native.hold(data, address, port)) {
        this.#held++;
        return 'sent';
      }
      if (this.#held === 0) {
        const sent = toConnected ? native.sendConnected(data) : native.send(data, address, port);
        if (sent >= 0) {
          this.#ledger.onSendDone(null);
          return 'sent';
        }
      }
    }
    let queued: boolean;
    try {
      // libuv tries a synchronous sendmsg first unless datagrams are already
      // waiting in its queue (they got EAGAIN); then this one waits behind them.
      queued = this.#socket.getSendQueueCount() > 0;
      if (toConnected) this.#socket.send(data, this.#ledger.onSendDone);
      else this.#socket.send(data, port, address, this.#ledger.onSendDone);
    } catch (error) {
      // The socket was closed underneath us (its 'close' event is still to
      // come, and counts whatever is still outstanding as dropped).
      if (last) this.#ledger.failNewest(data.byteLength);
      this.#report(
        new UdpTransportError('SEND_FAILED', `send from ${this.address} failed: ${String(error)}`, {
          address: this.address,
          cause: error,
        }),
      );
      return 'dropped';
    }
    if (queued) {
      this.#retried++;
      return 'queued';
    }
    return 'sent';
  }

  /** The held sends of a receive batch: `sent` went out, `rest` goes through node:dgram. */
  readonly #onFlushed = (sent: number, rest: ReadonlyArray<Waiting>): void => {
    this.#held = 0;
    for (let i = 0; i < sent; i++) this.#ledger.onSendDone(null);
    for (const w of rest) this.#handOver(w.data, w.address, w.port, false);
  };

  /** Hands over the sends made while a connect() was in progress, in order. */
  #flushWaiting(): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (waiting === undefined) return;
    for (const w of waiting) {
      if (this.#closed) return;
      this.#handOver(w.data, w.address, w.port, false);
    }
  }

  /**
   * Connects the socket to `peer`, the one peer it talks to (a client's
   * server). Sends to `peer` then skip node:dgram's per-send address lookup
   * and the kernel's route lookup, and the kernel keeps datagrams from anyone
   * else out. The kernel also reports an ICMP "port unreachable" for `peer`
   * on this socket: a later receive fails with ECONNREFUSED, reported through
   * `onError` (`SOCKET_ERROR`), instead of nothing at all. Only for a peer
   * that answers from the address it is sent to. A send to another peer
   * dissolves the association first; connect only while no send is
   * outstanding (completions are counted in order). Rejects with
   * `INVALID_ARGUMENT`, `CLOSED`, or `SOCKET_ERROR` (with the system code)
   * when the kernel refuses.
   */
  connect(peer: UdpPeer): Promise<void> {
    try {
      this.#checkPeer(peer);
    } catch (error) {
      return Promise.reject(error);
    }
    const { address, port } = peer;
    if (this.#closed) {
      return Promise.reject(
        new UdpTransportError('CLOSED', `transport ${this.address} is closed`, {
          address: this.address,
        }),
      );
    }
    if (this.#connecting !== undefined) {
      return Promise.reject(invalidArgument('a connect() is in progress already'));
    }
    const connected = this.#connected;
    if (connected?.address === address && connected.port === port) return Promise.resolve();
    this.disconnect();
    const target = formatUdpAddress(address, port, this.family);
    return new Promise<void>((resolve, reject) => {
      this.#connecting = reject;
      try {
        this.#socket.connect(port, address, (error?: Error) => {
          if (this.#connecting !== reject) return; // closed meanwhile: rejected already
          this.#connecting = undefined;
          if (error === undefined || error === null) {
            this.#connected = { address, port };
            this.#flushWaiting();
            resolve();
            return;
          }
          this.#flushWaiting();
          reject(
            new UdpTransportError('SOCKET_ERROR', `connect to ${target} failed: ${error.message}`, {
              address: target,
              cause: error,
              ...systemCodeDetail(error),
            }),
          );
        });
      } catch (error) {
        this.#connecting = undefined;
        this.#flushWaiting();
        reject(
          new UdpTransportError('SOCKET_ERROR', `connect to ${target} failed: ${String(error)}`, {
            address: target,
            cause: error,
          }),
        );
      }
    });
  }

  /** Dissolves the association made by {@link connect} (nothing if none). */
  disconnect(): void {
    if (this.#connected === undefined || this.#closed) return;
    this.#connected = undefined;
    try {
      this.#socket.disconnect();
    } catch {
      // Not connected after all (ERR_SOCKET_DGRAM_NOT_CONNECTED): nothing to undo.
    }
  }

  /** The peer given to {@link connect}, once it completed and while the association lasts. */
  get connectedPeer(): { readonly address: string; readonly port: number } | undefined {
    return this.#connected;
  }

  /**
   * Stops receiving at once, lets the sends already handed over reach the
   * kernel, then closes the socket: datagrams still waiting in libuv's queue
   * (EAGAIN) are cancelled and counted dropped. Idempotent: every call returns
   * the same promise.
   */
  close(): Promise<void> {
    if (this.#closePromise !== undefined) return this.#closePromise;
    this.#closed = true;
    this.#removeMessageListener();
    this.#native?.close();
    this.#ledger.clearTimer();
    const connecting = this.#connecting;
    // Sends waiting for a connect are never handed over: close counts them dropped.
    this.#waiting = undefined;
    if (connecting !== undefined) {
      this.#connecting = undefined;
      connecting(
        new UdpTransportError('CLOSED', `transport ${this.address} closed while connecting`, {
          address: this.address,
        }),
      );
    }
    this.#closePromise = new Promise<void>((resolve) => {
      this.#resolveClosed = resolve;
      // node:dgram hands a send to libuv on a later tick (after its address
      // lookup); closing before that would lose it silently. setImmediate
      // runs after every pending tick.
      setImmediate(() => {
        try {
          this.#socket.close();
        } catch {
          // Already closed by someone else: the 'close' event has fired or will.
          this.#finishClose();
        }
      });
    });
    return this.#closePromise;
  }

  /** Keeps the event loop alive while the socket is open (the default). */
  ref(): void {
    this.#referenced = true;
    if (!this.#closed) this.#socket.ref();
    this.#native?.ref();
  }

  /** Lets the process exit while the socket is open. */
  unref(): void {
    this.#referenced = false;
    if (!this.#closed) this.#socket.unref();
    this.#native?.unref();
  }

  /**
   * The underlying `dgram.Socket`, to hand it to a child process
   * (`child.send(message, transport.socket)`). Do not read from, send on or
   * close it directly: the transport owns it.
   */
  get socket(): Socket {
    return this.#socket;
  }

  /**
   * Whether datagrams are received (in `recvmmsg` batches) and replies sent
   * through the addon of @mi-datagram/transport-unix rather than node:dgram
   * (see the `native` option).
   */
  get nativeIo(): boolean {
    return this.#native !== undefined;
  }

  /** Whether the transport keeps the event loop alive. */
  get referenced(): boolean {
    return this.#referenced;
  }

  /** Whether {@link close} was called (or the socket was closed underneath). */
  get closed(): boolean {
    return this.#closed;
  }

  /** SO_RCVBUF as the kernel reports it (Linux: twice the granted size); 0 once closed. */
  get receiveBufferSize(): number {
    if (this.#closed) return 0;
    try {
      return this.#socket.getRecvBufferSize();
    } catch {
      return 0;
    }
  }

  /** SO_SNDBUF as the kernel reports it (Linux: twice the granted size); 0 once closed. */
  get sendBufferSize(): number {
    if (this.#closed) return 0;
    try {
      return this.#socket.getSendBufferSize();
    } catch {
      return 0;
    }
  }

  stats(): UdpTransportStats {
    let pending = 0;
    if (!this.#closed) {
      try {
        pending = this.#socket.getSendQueueCount();
      } catch {
        pending = 0;
      }
    }
    const ledger = this.#ledger;
    return {
      received: this.#received,
      truncated: this.#truncated,
      sent: ledger.sent,
      retried: this.#retried,
      dropped:
        this.#droppedPendingLimit +
        ledger.droppedTimeout +
        ledger.droppedError +
        this.#droppedTooLarge +
        ledger.droppedClosed,
      pending,
      outstanding: ledger.outstanding,
      outstandingBytes: ledger.outstandingBytes,
      droppedPendingLimit: this.#droppedPendingLimit,
      droppedTimeout: ledger.droppedTimeout,
      droppedError: ledger.droppedError,
      droppedTooLarge: this.#droppedTooLarge,
      droppedClosed: ledger.droppedClosed,
      lateSent: ledger.lateSent,
    };
  }

  // --- receive -------------------------------------------------------------

  #messageListener(onMessage: DatagramHandler<UdpPeer>): (data: Buffer, rinfo: RemoteInfo) => void {
    return (data, rinfo) => {
      this.#received++;
      // rinfo is a fresh object per datagram with address/port/family: it is the peer.
      if (data.length > MAX_UDP_PAYLOAD) {
        this.#truncated++;
        onMessage(data, rinfo, TRUNCATED);
      } else {
        onMessage(data, rinfo, WHOLE);
      }
    };
  }

  #guardedMessageListener(
    onMessage: DatagramHandler<UdpPeer>,
    onError: (error: UdpTransportError) => void,
  ): (data: Buffer, rinfo: RemoteInfo) => void {
    const deliver = this.#messageListener(onMessage);
    return (data, rinfo) => {
      try {
        deliver(data, rinfo);
      } catch (error) {
        onError(
          new UdpTransportError('HANDLER_FAILED', `onMessage threw: ${String(error)}`, {
            address: this.address,
            cause: error,
          }),
        );
      }
    };
  }

  // --- lifecycle ------------------------------------------------------------

  readonly #onSocketError = (error: Error): void => {
    this.#report(
      new UdpTransportError('SOCKET_ERROR', `${this.address}: ${error.message}`, {
        address: this.address,
        cause: error,
        ...systemCodeDetail(error),
      }),
    );
  };

  readonly #onSocketClose = (): void => {
    this.#finishClose();
  };

  #finishClose(): void {
    this.#closed = true;
    this.#ledger.clearTimer();
    closedSockets.add(this.#socket);
    adoptedSockets.delete(this.#socket);
    // Whatever never completed (node:dgram drops sends issued after close
    // without calling back) is dropped now.
    this.#ledger.dropAll();
    this.#socket.removeListener('close', this.#onSocketClose);
    this.#removeMessageListener();
    this.#native?.close();
    // Keep the 'error' listener: an error emitted late must not crash the process.
    if (this.#closePromise === undefined) {
      this.#closePromise = Promise.resolve();
    }
    this.#resolveClosed?.();
    this.#resolveClosed = undefined;
  }

  #removeMessageListener(): void {
    if (this.#messageListenerRef !== undefined) {
      this.#socket.removeListener('message', this.#messageListenerRef);
      this.#messageListenerRef = undefined;
    }
  }

  #report(error: UdpTransportError): void {
    const { onError } = this.#options;
    if (onError !== undefined) onError(error);
  }

  #warn(warning: UdpTransportError): void {
    const { onWarning } = this.#options;
    if (onWarning !== undefined) onWarning(warning);
  }
}
