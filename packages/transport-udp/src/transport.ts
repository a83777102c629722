import { type RemoteInfo, Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { DatagramTransport, SendOutcome } from '@mi-datagram/protocol';
import { applyBufferSizes } from './buffer-size.js';
import { invalidArgument, systemCodeDetail, UdpTransportError } from './errors.js';
import { NativeUdp } from './native-io.js';
import { type ResolvedOptions, resolveOptions, type UdpTransportOptions } from './options.js';
import { formatUdpAddress, type UdpFamily, type UdpPeer } from './peer.js';
import { messageListener, type ReceiveCounts } from './receive.js';
import { SendLedger } from './send-ledger.js';
import { SendPath } from './send-path.js';
import type { UdpTransportStats } from './stats.js';
import { stopReceiving } from './stop-receiving.js';

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
  #closed = false;
  #closePromise: Promise<void> | undefined;
  #resolveClosed: (() => void) | undefined;
  #referenced = true;
  #messageListenerRef: ((data: Buffer, rinfo: RemoteInfo) => void) | undefined;
  /** Sending, connect(), and the addon's reader/sender when in use. */
  readonly #out: SendPath;

  // Counters (those of sends are the send path's and the ledger's).
  readonly #counts: ReceiveCounts = { received: 0, truncated: 0 };
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
    this.family = family === 4 ? 'IPv4' : 'IPv6';
    this.host = local.address;
    this.port = local.port;
    this.address = formatUdpAddress(local.address, local.port, this.family);
    this.#out = new SendPath({
      address: this.address,
      family: this.family,
      familyNumber: family,
      socket,
      options: this.#options,
      ledger: this.#ledger,
      closed: () => this.#closed,
      report: (error) => this.#report(error),
      warn: (warning) => this.#warn(warning),
    });

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
      const listener = messageListener(this.#counts, this.address, onMessage, onError);
      const native = this.#options.native ? NativeUdp.open(socket, this.family) : undefined;
      if (native !== undefined && stopReceiving(socket)) {
        this.#out.native = native;
        native.receive(listener, this.#onSocketError, this.#out.onFlushed);
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
   * While a {@link connect} is in progress, sends wait for it to end.
   *
   * - `'sent'`: handed over: to the kernel at once (the addon), at the end of
   *   the receive batch being delivered (the addon's `sendmmsg`), or to
   *   node:dgram, which passes it to the kernel on this tick.
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
    return this.#out.send(data, peer);
  }

  /**
   * Connects the socket to `peer`, the one peer it talks to (a client's
   * server): the kernel then keeps datagrams from anyone else out and reports
   * an ICMP "port unreachable" as ECONNREFUSED (`SOCKET_ERROR` through
   * `onError`). A send to another peer dissolves the association first.
   * Rejects with `INVALID_ARGUMENT`, `CLOSED` or `SOCKET_ERROR`. See
   * {@link SendPath.connect}.
   */
  connect(peer: UdpPeer): Promise<void> {
    return this.#out.connect(peer);
  }

  /** Dissolves the association made by {@link connect} (nothing if none). */
  disconnect(): void {
    this.#out.disconnect();
  }

  /** The peer given to {@link connect}, once it completed and while the association lasts. */
  get connectedPeer(): { readonly address: string; readonly port: number } | undefined {
    return this.#out.connectedPeer;
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
    this.#out.native?.close();
    this.#ledger.clearTimer();
    // Sends waiting for a connect are never handed over: close counts them dropped.
    this.#out.abort();
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
    this.#out.native?.ref();
  }

  /** Lets the process exit while the socket is open. */
  unref(): void {
    this.#referenced = false;
    if (!this.#closed) this.#socket.unref();
    this.#out.native?.unref();
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
    return this.#out.native !== undefined;
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
      received: this.#counts.received,
      truncated: this.#counts.truncated,
      sent: ledger.sent,
      retried: this.#out.retried,
      dropped:
        this.#out.droppedPendingLimit +
        ledger.droppedTimeout +
        ledger.droppedError +
        this.#out.droppedTooLarge +
        ledger.droppedClosed,
      pending,
      outstanding: ledger.outstanding,
      outstandingBytes: ledger.outstandingBytes,
      droppedPendingLimit: this.#out.droppedPendingLimit,
      droppedTimeout: ledger.droppedTimeout,
      droppedError: ledger.droppedError,
      droppedTooLarge: this.#out.droppedTooLarge,
      droppedClosed: ledger.droppedClosed,
      lateSent: ledger.lateSent,
    };
  }

  // --- receive -------------------------------------------------------------

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
    this.#out.native?.close();
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
