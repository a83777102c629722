import { lstat, rmdir, unlink } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { debuglog } from 'node:util';
import type {
  DatagramHandler,
  DatagramInfo,
  DatagramTransport,
  SendOutcome,
  TransportStats,
} from '@mi-datagram/protocol';
import { errnoName, printablePath, UnixTransportError, wrapError } from './errors.js';
import { loadNative, type NativePeers, type NativeSocket } from './native.js';
import type { ResolvedOptions, UnixPeer } from './options.js';

const debug = debuglog('mi-datagram');

const WHOLE: DatagramInfo = Object.freeze({ truncated: false });
const TRUNCATED: DatagramInfo = Object.freeze({ truncated: true });

/** Retry cadence for replies that met EAGAIN: 1 ms, doubling up to 32 ms. */
const RETRY_FIRST_MS = 1;
const RETRY_MAX_MS = 32;

const EAGAIN = osConstants.errno.EAGAIN;
/** The addon's receive slot (native/unix_dgram.c SLOT_SIZE): nothing longer is ever whole. */
const RECEIVE_SLOT_SIZE = 65_536;

/**
 * The (length, flags) pairs of in-place batches, a view of the addon's receive arena (one per
 * thread; a new one only if the arena was replaced).
 */
let arenaMeta: Int32Array | undefined;

function arenaMetaOf(arena: ArrayBuffer): Int32Array {
  if (arenaMeta === undefined || arenaMeta.buffer !== arena) {
    const { ARENA_META_OFFSET, MAX_BATCH } = loadNative().constants;
    arenaMeta = new Int32Array(arena, ARENA_META_OFFSET, MAX_BATCH * 2);
  }
  return arenaMeta;
}

/** {@link TransportStats} plus the reasons replies were dropped. */
export interface UnixTransportStats extends TransportStats {
  /** Bytes of replies waiting for a retry right now. */
  readonly pendingBytes: number;
  /** Dropped because `socketTimeout` passed while the peer's queue stayed full. */
  readonly droppedTimeout: number;
  /** Dropped because `maxPendingReplies`, `maxPendingBytes` or `maxPendingPerPeer` was reached. */
  readonly droppedLimit: number;
  /** Dropped because the peer is gone or refused (ENOENT, ECONNREFUSED, EACCES, …). */
  readonly droppedUnreachable: number;
  /** Dropped because the peer is an unbound socket (`null`): it cannot be answered. */
  readonly droppedUnanswerable: number;
  /** Dropped because the transport was closed with them still pending. */
  readonly droppedClosed: number;
}

/** What a transport removes on close; only ever what it created itself. */
export interface OwnedFile {
  readonly path: string;
  readonly dev: bigint;
  readonly ino: bigint;
  /** A private directory created for the socket, removed after it. */
  readonly dir?: string;
}

/** @internal how the constructor functions hand a socket to the class. */
export interface UnixTransportInit {
  readonly socket: NativeSocket;
  readonly options: ResolvedOptions;
  readonly address: string;
  readonly path: string | null;
  readonly owned: OwnedFile | null;
}

interface Pending {
  readonly data: Uint8Array;
  readonly deadline: number;
}

interface Counters {
  received: number;
  truncated: number;
  sent: number;
  retried: number;
  dropped: number;
  droppedTimeout: number;
  droppedLimit: number;
  droppedUnreachable: number;
  droppedUnanswerable: number;
  droppedClosed: number;
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
  readonly #counters: Counters = {
    received: 0,
    truncated: 0,
    sent: 0,
    retried: 0,
    dropped: 0,
    droppedTimeout: 0,
    droppedLimit: 0,
    droppedUnreachable: 0,
    droppedUnanswerable: 0,
    droppedClosed: 0,
  };
  /** Per-peer FIFO of replies waiting for the peer's queue to drain. */
  readonly #pending = new Map<string, Pending[]>();
  #pendingCount = 0;
  #pendingBytes = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryDelay = RETRY_FIRST_MS;
  #refed = true;
  #closed: Promise<void> | undefined;
  /** The sender of the datagram delivered last (the addon sends `undefined` for "the same"). */
  #lastPeer: UnixPeer = null;
  /** The peer the socket is connected to ({@link connect}), if any. */
  #connected: string | undefined;
  readonly #reported = new Set<string>();

  /** @internal use bindUnixSocket, adoptUnixSocket or openUnixReplySocket. */
  constructor(init: UnixTransportInit) {
    this.#socket = init.socket;
    this.#options = init.options;
    this.address = init.address;
    this.path = init.path;
    this.#owned = init.owned;
    this.#handler = init.options.onMessage;
    if (this.#handler !== undefined) {
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
   * kernel. `'queued'`: the peer's queue is full (EAGAIN), the datagram is
   * copied and retried until `socketTimeout` ms pass. `'dropped'`: never
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
    const queue = this.#pending.get(peer);
    if (queue !== undefined) return this.#enqueue(queue, peer, data);
    const r = this.#sendNow(data, peer);
    if (r >= 0) {
      c.sent++;
      return 'sent';
    }
    if (r === -EAGAIN) return this.#enqueue(undefined, peer, data);
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
    this.#refed = true;
    if (this.#closed !== undefined) return;
    this.#socket.ref();
    this.#retryTimer?.ref();
  }

  /** Let the process exit even though the socket is open (pending retries do not hold it either). */
  unref(): void {
    this.#refed = false;
    if (this.#closed !== undefined) return;
    this.#socket.unref();
    this.#retryTimer?.unref();
  }

  stats(): UnixTransportStats {
    return { ...this.#counters, pending: this.#pendingCount, pendingBytes: this.#pendingBytes };
  }

  #assertOpen(): void {
    if (this.#closed !== undefined) {
      throw new UnixTransportError('CLOSED', `transport ${this.address} is closed`);
    }
  }

  #sendNow(data: Uint8Array, peer: string): number {
    try {
      if (peer === this.#connected) {
        const r = this.#socket.send(data, null);
        if (r >= 0 || r === -EAGAIN) return r;
        // The peer went away (ECONNREFUSED: the kernel dissolved the association already). By
        // its address the datagram finds a server that took the path over, or fails as usual.
        this.disconnect();
      }
      return this.#socket.send(data, peer);
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
    const meta = inPlace ? arenaMetaOf(buffer) : new Int32Array(buffer, 0, count * 2);
    let offset = inPlace ? 0 : count * 8;
    let failed = false;
    let firstError: unknown;
    const c = this.#counters;
    for (let i = 0; i < count && this.#closed === undefined; i++) {
      const length = meta[2 * i] ?? 0;
      const truncated = meta[2 * i + 1] === 1;
      const data = new Uint8Array(buffer, offset, length);
      offset += inPlace ? RECEIVE_SLOT_SIZE : length;
      const sender = count === 1 ? peers : (peers as ReadonlyArray<UnixPeer | undefined>)[i];
      if (sender !== undefined) this.#lastPeer = sender as UnixPeer;
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
    // A peer that just sent to us has likely drained some of its queue too:
    // flush waiting replies now rather than at the next retry tick.
    if (this.#pendingCount > 0 && this.#closed === undefined) this.#flushNow();
    if (failed) throw firstError;
  };

  #flushNow(): void {
    if (this.#retryTimer !== undefined) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
    }
    this.#retry();
  }

  #enqueue(queue: Pending[] | undefined, peer: string, data: Uint8Array): SendOutcome {
    const o = this.#options;
    const c = this.#counters;
    c.retried++;
    if (
      this.#pendingCount >= o.maxPendingReplies ||
      this.#pendingBytes + data.byteLength > o.maxPendingBytes ||
      (queue?.length ?? 0) >= o.maxPendingPerPeer ||
      o.socketTimeout === 0
    ) {
      c.dropped++;
      if (o.socketTimeout === 0) c.droppedTimeout++;
      else c.droppedLimit++;
      return 'dropped';
    }
    const item: Pending = { data: data.slice(), deadline: performance.now() + o.socketTimeout };
    if (queue === undefined) this.#pending.set(peer, [item]);
    else queue.push(item);
    this.#pendingCount++;
    this.#pendingBytes += data.byteLength;
    this.#scheduleRetry();
    return 'queued';
  }

  #scheduleRetry(): void {
    if (this.#retryTimer !== undefined || this.#pendingCount === 0) return;
    this.#retryTimer = setTimeout(this.#retry, this.#retryDelay);
    if (!this.#refed) this.#retryTimer.unref();
  }

  #retry = (): void => {
    this.#retryTimer = undefined;
    if (this.#closed !== undefined) return;
    const now = performance.now();
    const c = this.#counters;
    let progressed = false;
    for (const [peer, queue] of this.#pending) {
      let i = 0;
      for (; i < queue.length; i++) {
        const item = queue[i]!;
        if (item.deadline <= now) {
          c.dropped++;
          c.droppedTimeout++;
          this.#pendingBytes -= item.data.byteLength;
          continue;
        }
        const r = this.#sendNow(item.data, peer);
        if (r === -EAGAIN) break;
        this.#pendingBytes -= item.data.byteLength;
        if (r >= 0) {
          c.sent++;
          progressed = true;
        } else {
          this.#unreachable(peer, r);
        }
      }
      if (i > 0) {
        this.#pendingCount -= i;
        if (i === queue.length) this.#pending.delete(peer);
        else queue.splice(0, i);
      }
    }
    this.#retryDelay = progressed ? RETRY_FIRST_MS : Math.min(this.#retryDelay * 2, RETRY_MAX_MS);
    if (this.#pendingCount > 0) {
      // Never sleep past the earliest deadline: a timed-out reply is dropped on time.
      let earliest = Number.POSITIVE_INFINITY;
      for (const queue of this.#pending.values()) {
        const d = queue[0]?.deadline;
        if (d !== undefined && d < earliest) earliest = d;
      }
      this.#retryDelay = Math.max(1, Math.min(this.#retryDelay, Math.ceil(earliest - now)));
      this.#scheduleRetry();
    } else {
      this.#retryDelay = RETRY_FIRST_MS;
    }
  };

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
    if (this.#retryTimer !== undefined) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
    }
    const c = this.#counters;
    c.dropped += this.#pendingCount;
    c.droppedClosed += this.#pendingCount;
    this.#pending.clear();
    this.#pendingCount = 0;
    this.#pendingBytes = 0;
    this.#socket.close();
    const owned = this.#owned;
    if (owned === null) return;
    await removeOwnedFile(owned, (m) => this.#warn(m));
  }
}

/**
 * Removes a socket file we created, only if it is still the same inode (a
 * file put there by someone else since is left alone), then its private
 * directory if we made one.
 */
export async function removeOwnedFile(
  owned: OwnedFile,
  warn: (message: string) => void,
): Promise<void> {
  try {
    const st = await lstat(owned.path, { bigint: true });
    if (st.isSocket() && st.dev === owned.dev && st.ino === owned.ino) {
      await unlink(owned.path);
    } else {
      warn(`${owned.path} was replaced by another file since we bound it: left in place`);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      warn(wrapError(err, 'removing socket file', owned.path).message);
    }
  }
  if (owned.dir !== undefined) {
    try {
      await rmdir(owned.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        warn(wrapError(err, 'removing socket directory', owned.dir).message);
      }
    }
  }
}
