import type { Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { MAX_DATAGRAM_SIZE, type SendOutcome } from '@mi-datagram/protocol';
import { invalidArgument, systemCodeDetail, UdpTransportError } from './errors.js';
import type { NativeUdp, Waiting } from './native-io.js';
import type { ResolvedOptions } from './options.js';
import { formatUdpAddress, type UdpFamily, type UdpPeer } from './peer.js';
import type { SendLedger } from './send-ledger.js';

/** What a {@link SendPath} needs of its transport. */
export interface SendPathHost {
  readonly address: string;
  readonly family: UdpFamily;
  readonly familyNumber: 4 | 6;
  readonly socket: Socket;
  readonly options: ResolvedOptions;
  readonly ledger: SendLedger;
  closed(): boolean;
  report(error: UdpTransportError): void;
  warn(warning: UdpTransportError): void;
}

/**
 * The sending half of a {@link UdpTransport}: the checks and bounds of a
 * send, the hand-over to the addon (direct, or held for the `sendmmsg` of the
 * receive batch being delivered) or to node:dgram, and connect().
 */
export class SendPath {
  retried = 0;
  droppedPendingLimit = 0;
  droppedTooLarge = 0;
  /** The addon's reader/sender on a duplicate of the socket's descriptor, if in use. */
  native: NativeUdp | undefined;
  readonly #h: SendPathHost;
  /** Sends held by `native` for the end of the receive batch being delivered. */
  #held = 0;
  /** The peer of a completed {@link connect}, while the association lasts. */
  #connected: { readonly address: string; readonly port: number } | undefined;
  /** A {@link connect} in progress: its promise's reject, for close(). */
  #connecting: ((error: UdpTransportError) => void) | undefined;
  /** Sends made while a connect() was in progress, handed over when it ends. */
  #waiting: Waiting[] | undefined;

  constructor(host: SendPathHost) {
    this.#h = host;
  }

  /** At close: a connect() in progress is rejected, sends waiting for it are never handed over. */
  abort(): void {
    const connecting = this.#connecting;
    this.#waiting = undefined;
    if (connecting !== undefined) {
      this.#connecting = undefined;
      connecting(
        new UdpTransportError('CLOSED', `transport ${this.#h.address} closed while connecting`, {
          address: this.#h.address,
        }),
      );
    }
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
    this.checkPeer(peer);
    const { address, port } = peer;
    if (this.#h.closed()) {
      this.#h.ledger.droppedClosed++;
      return 'dropped';
    }
    const length = data.byteLength;
    if (length > MAX_DATAGRAM_SIZE) {
      this.droppedTooLarge++;
      this.#h.report(
        new UdpTransportError(
          'DATAGRAM_TOO_LARGE',
          `datagram of ${length} bytes to ${formatUdpAddress(address, port, this.#h.family)} not sent: the limit is ${MAX_DATAGRAM_SIZE}`,
          { address: formatUdpAddress(address, port, this.#h.family) },
        ),
      );
      return 'dropped';
    }
    const ledger = this.#h.ledger;
    if (
      ledger.outstanding >= this.#h.options.maxPendingReplies ||
      ledger.outstandingBytes + length > this.#h.options.maxPendingBytes
    ) {
      this.droppedPendingLimit++;
      if (this.#h.options.onWarning !== undefined) {
        this.#h.warn(
          new UdpTransportError(
            'PENDING_LIMIT',
            `reply to ${formatUdpAddress(address, port, this.#h.family)} dropped: ${ledger.outstanding} replies (${ledger.outstandingBytes} bytes) outstanding`,
            { address: formatUdpAddress(address, port, this.#h.family) },
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
  checkPeer(peer: unknown): asserts peer is UdpPeer {
    if (typeof peer !== 'object' || peer === null) throw invalidArgument('peer must be an object');
    const { address, port } = peer as { readonly address?: unknown; readonly port?: unknown };
    if (typeof port !== 'number' || !(port >= 1 && port <= 65535) || Math.floor(port) !== port) {
      throw invalidArgument(`peer port must be an integer from 1 to 65535, got ${String(port)}`);
    }
    if (typeof address !== 'string' || isIP(address) !== this.#h.familyNumber) {
      throw invalidArgument(
        `peer address must be an ${this.#h.family} literal for ${this.#h.address}, got ${String(address)}`,
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
    const native = this.native;
    // The native path sends at once when nothing else is outstanding (so that
    // completions stay in order); EAGAIN or anything unusual goes to node:dgram.
    if (native !== undefined && last && this.#h.ledger.outstanding === this.#held + 1) {
      if (!toConnected && native.hold(data, address, port)) {
        this.#held++;
        return 'sent';
      }
      if (this.#held === 0) {
        const sent = toConnected ? native.sendConnected(data) : native.send(data, address, port);
        if (sent >= 0) {
          this.#h.ledger.onSendDone(null);
          return 'sent';
        }
      }
    }
    let queued: boolean;
    try {
      // libuv tries a synchronous sendmsg first unless datagrams are already
      // waiting in its queue (they got EAGAIN); then this one waits behind them.
      queued = this.#h.socket.getSendQueueCount() > 0;
      if (toConnected) this.#h.socket.send(data, this.#h.ledger.onSendDone);
      else this.#h.socket.send(data, port, address, this.#h.ledger.onSendDone);
    } catch (error) {
      // The socket was closed underneath us (its 'close' event is still to
      // come, and counts whatever is still outstanding as dropped).
      if (last) this.#h.ledger.failNewest(data.byteLength);
      this.#h.report(
        new UdpTransportError(
          'SEND_FAILED',
          `send from ${this.#h.address} failed: ${String(error)}`,
          {
            address: this.#h.address,
            cause: error,
          },
        ),
      );
      return 'dropped';
    }
    if (queued) {
      this.retried++;
      return 'queued';
    }
    return 'sent';
  }

  /** The held sends of a receive batch: `sent` went out, `rest` goes through node:dgram. */
  readonly onFlushed = (sent: number, rest: ReadonlyArray<Waiting>): void => {
    this.#held = 0;
    for (let i = 0; i < sent; i++) this.#h.ledger.onSendDone(null);
    for (const w of rest) this.#handOver(w.data, w.address, w.port, false);
  };

  /** Hands over the sends made while a connect() was in progress, in order. */
  #flushWaiting(): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (waiting === undefined) return;
    for (const w of waiting) {
      if (this.#h.closed()) return;
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
      this.checkPeer(peer);
    } catch (error) {
      return Promise.reject(error);
    }
    const { address, port } = peer;
    if (this.#h.closed()) {
      return Promise.reject(
        new UdpTransportError('CLOSED', `transport ${this.#h.address} is closed`, {
          address: this.#h.address,
        }),
      );
    }
    if (this.#connecting !== undefined) {
      return Promise.reject(invalidArgument('a connect() is in progress already'));
    }
    const connected = this.#connected;
    if (connected?.address === address && connected.port === port) return Promise.resolve();
    this.disconnect();
    const target = formatUdpAddress(address, port, this.#h.family);
    return new Promise<void>((resolve, reject) => {
      this.#connecting = reject;
      try {
        this.#h.socket.connect(port, address, (error?: Error) => {
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
    if (this.#connected === undefined || this.#h.closed()) return;
    this.#connected = undefined;
    try {
      this.#h.socket.disconnect();
    } catch {
      // Not connected after all (ERR_SOCKET_DGRAM_NOT_CONNECTED): nothing to undo.
    }
  }

  /** The peer given to {@link connect}, once it completed and while the association lasts. */
  get connectedPeer(): { readonly address: string; readonly port: number } | undefined {
    return this.#connected;
  }
}
