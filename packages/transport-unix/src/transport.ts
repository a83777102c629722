import { constants as osConstants } from 'node:os';
import { debuglog } from 'node:util';
import type {
  DatagramHandler,
  DatagramInfo,
  DatagramTransport,
  SendOutcome,
} from '@mi-datagram/protocol';
import { errnoName, printablePath, UnixTransportError, wrapError } from './errors.js';
import { HeldReplies } from './held-replies.js';
import { arenaViewsOf, type NativePeers, type NativeSocket } from './native.js';
import type { ResolvedOptions, UnixPeer } from './options.js';
import { type OwnedFile, removeOwnedFile } from './owned-file.js';
import { newCounters, ReplyQueue, type UnixTransportStats } from './reply-queue.js';

export { type OwnedFile, removeOwnedFile } from './owned-file.js';
export type { UnixTransportStats } from './reply-queue.js';

const debug = debuglog('mi-datagram');

const WHOLE: DatagramInfo = Object.freeze({ truncated: false });
const TRUNCATED: DatagramInfo = Object.freeze({ truncated: true });

const EAGAIN = osConstants.errno.EAGAIN;
/** The addon's receive slot (native/unix_dgram.c SLOT_SIZE): nothing longer is ever whole. */
const RECEIVE_SLOT_SIZE = 65_536;
/** Most senders whose uid is remembered for checking replies (then the memory starts afresh). */
const MAX_KNOWN_PEERS = 4096;

/** @internal how the constructor functions hand a socket to the class. */
export interface UnixTransportInit {
  readonly socket: NativeSocket;
  readonly options: ResolvedOptions;
  readonly address: string;
  readonly path: string | null;
  readonly owned: OwnedFile | null;
}

/**
 * A UNIX datagram socket implementing the mi-datagram transport contract.
 * Create one with `bindUnixSocket`, `adoptUnixSocket` or
 * `openUnixReplySocket`.
 */
export class UnixTransport implements DatagramTransport<UnixPeer> {
  /** Printable local address: the path as given, `@name` for an abstract name. */
  readonly address: string;
  /** The bound path (abstract names keep their leading `'\0'`), or null for an adopted descriptor. */
  readonly path: string | null;

  readonly #socket: NativeSocket;
  readonly #options: ResolvedOptions;
  readonly #owned: OwnedFile | null;
  readonly #handler: DatagramHandler<UnixPeer> | undefined;
  readonly #counters = newCounters();
  readonly #queue: ReplyQueue;
  /** uid of the latest datagram from each sender path: replies to it are checked against it. */
  readonly #peerUid = new Map<string, number>();
  #closed: Promise<void> | undefined;
  /** The sender of the datagram delivered last (the addon sends `undefined` for "the same"). */
  #lastPeer: UnixPeer = null;
  /** The peer the socket is connected to ({@link connect}), if any. */
  #connected: string | undefined;
  readonly #reported = new Set<string>();
  /** Replies to a receive batch of several datagrams, sent together when it has been delivered. */
  readonly #held: HeldReplies;

  /** @internal use bindUnixSocket, adoptUnixSocket or openUnixReplySocket. */
  constructor(init: UnixTransportInit) {
    this.#socket = init.socket;
    this.#options = init.options;
    this.address = init.address;
    this.path = init.path;
    this.#owned = init.owned;
    this.#handler = init.options.onMessage;
    const counters = this.#counters;
    this.#queue = new ReplyQueue(
      {
        options: init.options,
        counters,
        sendNow: (data, peer, uid) => this.#sendNow(data, peer, uid),
        unreachable: (peer, r) => this.#unreachable(peer, r),
      },
      EAGAIN,
    );
    this.#held = new HeldReplies({
      socket: this.#socket,
      counters,
      queue: this.#queue,
      closed: () => this.#closed !== undefined,
      unreachable: (peer, r) => this.#unreachable(peer, r),
      refused: (peer, err) => this.#report(wrapError(err, 'send()', peer)),
    });
    if (this.#handler !== undefined) {
      // The addon runs every batch in the async context of this call (its own async
      // resource, created by poll()): onMessage sees the AsyncLocalStorage context the
      // transport was created in, with one callback scope per batch.
      this.#socket.poll(
        this.#onBatch,
        init.options.receiveBatchSize,
        Math.min(init.options.maxDatagramSize, RECEIVE_SLOT_SIZE),
        init.options.zeroCopy,
      );
    }
  }

  /** The descriptor (for passing to a child process), or -1 once closed. */
  get fd(): number {
    return this.#socket.fd();
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#closed !== undefined;
  }

  /** SO_RCVBUF and SO_SNDBUF as the kernel reports them. */
  bufferSizes(): { readonly receive: number; readonly send: number } {
    this.#assertOpen();
    const [receive, send] = this.#socket.bufferSizes();
    return { receive, send };
  }

  /**
   * Sends one datagram to `peer` without blocking. `'sent'`: handed to the
   * kernel; a reply to the sender of a datagram that came in a receive batch of
   * several is held and sent with the batch's other replies (one `sendmmsg`)
   * once `onMessage` has returned for the last of them: its bytes must not
   * change until then, and its fate (queued, dropped) shows in {@link stats}
   * and `onError`. `'queued'`: the peer's queue is full (EAGAIN), the datagram
   * is copied and retried until `socketTimeout` ms pass. `'dropped'`: never
   * sent (unbound or unreachable peer, pending limits, closed); counted and,
   * for an unreachable peer, reported via `onError`. Throws only for caller
   * errors (not a Uint8Array, bad peer, larger than `maxDatagramSize`).
   */
  send(data: Uint8Array, peer: UnixPeer): SendOutcome {
    if (!(data instanceof Uint8Array)) {
      throw new UnixTransportError(
        'INVALID_ARGUMENT',
        'send(data, peer): data must be a Uint8Array',
      );
    }
    if (data.byteLength > this.#options.maxDatagramSize) {
      throw new UnixTransportError(
        'DATAGRAM_TOO_LARGE',
        `send(): ${data.byteLength} bytes exceed the ${this.#options.maxDatagramSize}-byte datagram limit`,
      );
    }
    if (peer !== null && (typeof peer !== 'string' || peer.length === 0)) {
      throw new UnixTransportError(
        'INVALID_ARGUMENT',
        'send(data, peer): peer must be a socket path, an abstract name or null',
      );
    }
    const c = this.#counters;
    if (this.#closed !== undefined) {
      c.dropped++;
      c.droppedClosed++;
      return 'dropped';
    }
    if (peer === null) {
      c.dropped++;
      c.droppedUnanswerable++;
      this.#reportOnce(
        'unbound',
        new UnixTransportError(
          'PEER_UNREACHABLE',
          'cannot reply to a datagram from an unbound UNIX socket (the sender has no address)',
        ),
      );
      return 'dropped';
    }
    const uid = this.#peerUid.get(peer) ?? -1;
    if (this.#queue.has(peer)) return this.#queue.enqueue(peer, data, uid);
    if (peer !== this.#connected && this.#held.hold(data, peer, uid, this.#lastPeer)) return 'sent';
    const r = this.#sendNow(data, peer, uid);
    if (r >= 0) {
      c.sent++;
      return 'sent';
    }
    if (r === -EAGAIN) return this.#queue.enqueue(peer, data, uid);
    this.#unreachable(peer, r);
    return 'dropped';
  }

  /**
   * Connects the socket to `peer`, the one peer it talks to (a client's
   * server). Sends to `peer` then skip the kernel's address lookup (a path
   * walk per datagram), and the kernel refuses datagrams from anyone else
   * (their sender gets EPERM). Only for a peer that answers from its own
   * address: OpenSIPS answers UNIX requests from a second, unbound socket,
   * whose replies a connected socket refuses. If the peer goes away (its
   * socket closed, or replaced by a new server at the same path), the next
   * send to it falls back to the address and the association is dissolved.
   * Sends to other peers are unaffected. Throws `UnixTransportError` (code
   * `SYSCALL` with the errno, e.g. ENOENT or ECONNREFUSED) when it cannot.
   */
  connect(peer: string): void {
    this.#assertOpen();
    if (typeof peer !== 'string' || peer.length === 0) {
      throw new UnixTransportError(
        'INVALID_ARGUMENT',
        'connect(peer): peer must be a socket path or an abstract name',
      );
    }
    let r: number;
    try {
      r = this.#socket.connect(peer);
    } catch (err) {
      throw wrapError(err, 'connect()', peer);
    }
    if (r < 0) {
      const name = errnoName(-r);
      throw new UnixTransportError('SYSCALL', `connect to ${printablePath(peer)} failed: ${name}`, {
        errno: name,
        path: peer,
      });
    }
    this.#connected = peer;
  }

  /** Dissolves the association made by {@link connect} (nothing if none). */
  disconnect(): void {
    if (this.#connected === undefined || this.#closed !== undefined) return;
    this.#connected = undefined;
    this.#socket.connect(null);
  }

  /** The peer given to {@link connect}, while the association lasts. */
  get connectedPeer(): string | undefined {
    return this.#connected;
  }

  /** Stops receiving, drops pending replies, closes the socket and removes the socket file we created. Idempotent. */
  close(): Promise<void> {
    if (this.#closed === undefined) this.#closed = this.#doClose();
    return this.#closed;
  }

  /** Keep the event loop alive while the socket is open (default). */
  ref(): void {
    if (this.#closed !== undefined) return;
    this.#socket.ref();
    this.#queue.ref();
  }

  /** Let the process exit even though the socket is open (pending retries do not hold it either). */
  unref(): void {
    if (this.#closed !== undefined) return;
    this.#socket.unref();
    this.#queue.unref();
  }

  stats(): UnixTransportStats {
    return { ...this.#counters, pending: this.#queue.count, pendingBytes: this.#queue.bytes };
  }

  #assertOpen(): void {
    if (this.#closed !== undefined) {
      throw new UnixTransportError('CLOSED', `transport ${this.address} is closed`);
    }
  }

  #sendNow(data: Uint8Array, peer: string, uid: number): number {
    try {
      // A connected association is pinned to one socket by the kernel: no check needed.
      if (peer === this.#connected) {
        const r = this.#socket.send(data, null);
        if (r >= 0 || r === -EAGAIN) return r;
        // The peer went away (ECONNREFUSED: the kernel dissolved the association already). By
        // its address the datagram finds a server that took the path over, or fails as usual.
        this.disconnect();
      }
      return uid === -1 ? this.#socket.send(data, peer) : this.#socket.send(data, peer, uid);
    } catch (err) {
      throw wrapError(err, 'send()', peer);
    }
  }

  #onBatch = (
    buffer: ArrayBuffer | null,
    count: number,
    peers: NativePeers,
    errno: number,
  ): void => {
    if (buffer === null) {
      const name = errnoName(-errno);
      this.#report(
        new UnixTransportError('SYSCALL', `receive on ${this.address} failed: ${name}`, {
          errno: name,
        }),
      );
      return;
    }
    const handler = this.#handler;
    if (handler === undefined) return;
    // In place: datagram i at i * SLOT_SIZE of the arena; copied: back to back after the headers.
    const inPlace = this.#options.zeroCopy;
    const views = inPlace ? arenaViewsOf(buffer) : undefined;
    const meta = views?.meta ?? new Int32Array(buffer, 0, count * 2);
    // The senders' credentials: only read when the sender changes (rarely).
    let creds = views?.creds;
    let offset = inPlace ? 0 : count * 8;
    let failed = false;
    let firstError: unknown;
    const c = this.#counters;
    // The reply to a lone request goes out at once, before whatever its handler does after
    // answering; the replies to a batch of several go out together when it has been delivered.
    this.#held.batching = count > 1;
    try {
      for (let i = 0; i < count && this.#closed === undefined; i++) {
        const length = meta[2 * i] ?? 0;
        const truncated = meta[2 * i + 1] === 1;
        const data = new Uint8Array(buffer, offset, length);
        offset += inPlace ? RECEIVE_SLOT_SIZE : length;
        const sender = count === 1 ? peers : (peers as ReadonlyArray<UnixPeer | undefined>)[i];
        if (sender !== undefined) {
          creds ??= new Int32Array(buffer, buffer.byteLength - count * 8, count * 2);
          const uid = creds[2 * i] ?? -1;
          this.#newSender(sender as UnixPeer, uid === -1 ? -1 : uid >>> 0);
        }
        const peer = this.#lastPeer;
        c.received++;
        if (truncated) c.truncated++;
        try {
          handler(data, peer, truncated ? TRUNCATED : WHOLE);
        } catch (err) {
          if (!failed) {
            failed = true;
            firstError = err;
          }
        }
      }
    } finally {
      this.#held.send();
    }
    // A peer that just sent to us has likely drained some of its queue too:
    // flush waiting replies now rather than at the next retry tick.
    if (this.#closed === undefined) this.#queue.flushNow();
    if (failed) throw firstError;
  };

  /** Remembers a sender (the addon names one only when it changes) and the uid it sent with. */
  #newSender(peer: UnixPeer, uid: number): void {
    this.#lastPeer = peer;
    if (peer === null || peer.startsWith('\0')) return;
    const known = this.#peerUid;
    if (known.get(peer) === uid) return;
    if (known.size >= MAX_KNOWN_PEERS) known.clear();
    // -1 (unknown) is kept as "any": the kernel gave no credentials
    known.set(peer, uid);
  }

  #unreachable(peer: string, r: number): void {
    const c = this.#counters;
    c.dropped++;
    c.droppedUnreachable++;
    const name = errnoName(-r);
    this.#reportOnce(
      name,
      new UnixTransportError(
        'PEER_UNREACHABLE',
        `reply to ${printablePath(peer)} dropped: ${name} (further ${name} drops are only counted)`,
        { errno: name, path: peer },
      ),
    );
  }

  #reportOnce(key: string, err: UnixTransportError): void {
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    this.#report(err);
  }

  #report(err: Error): void {
    const onError = this.#options.onError;
    if (onError !== undefined) onError(err);
    else debug('%s: %s', this.address, err.message);
  }

  #warn(message: string): void {
    const onWarning = this.#options.onWarning;
    if (onWarning !== undefined) onWarning(message);
    else debug('%s: %s', this.address, message);
  }

  async #doClose(): Promise<void> {
    this.#queue.stop();
    this.#socket.close();
    const owned = this.#owned;
    if (owned === null) return;
    await removeOwnedFile(owned, (m) => this.#warn(m));
  }
}
