import { constants as osConstants } from 'node:os';
import type { NativeSocket } from './native.js';
import type { Counters, ReplyQueue } from './reply-queue.js';

const EAGAIN = osConstants.errno.EAGAIN;
const EIO = osConstants.errno.EIO;

/** What held replies need from their transport when they go out. */
export interface HeldRepliesHost {
  readonly socket: NativeSocket;
  readonly counters: Counters;
  readonly queue: ReplyQueue;
  closed(): boolean;
  /** Counts and reports a reply the kernel refused (a negative errno). */
  unreachable(peer: string, r: number): void;
  /** Reports a reply whose peer the addon could not read as an address (counted here). */
  refused(peer: string, error: unknown): void;
}

/**
 * The replies sent while a receive batch of several datagrams is delivered: held, then sent
 * together once it has been delivered, in runs of one `sendmmsg` each (the addon's
 * `sendMany`): one system call instead of one per reply.
 */
export class HeldReplies {
  readonly #host: HeldRepliesHost;
  readonly #datas: Uint8Array[] = [];
  readonly #peers: string[] = [];
  readonly #uids: number[] = [];

  /** True while a receive batch of several datagrams is being delivered; {@link send} ends it. */
  batching = false;

  constructor(host: HeldRepliesHost) {
    this.#host = host;
  }

  /**
   * Holds a reply while batching, if it goes to `current` (the sender of the datagram being
   * delivered: an address the kernel gave) or to a peer whose earlier replies are held (they
   * keep their order). False: send it now.
   */
  hold(data: Uint8Array, peer: string, uid: number, current: string | null): boolean {
    if (!this.batching || (peer !== current && !this.#peers.includes(peer))) return false;
    this.#datas.push(data);
    this.#peers.push(peer);
    this.#uids.push(uid);
    return true;
  }

  /**
   * Ends the batch and sends what is held, in order. One that meets a full queue (EAGAIN)
   * waits in the reply queue, and so does every later one to the same peer; one that cannot
   * be delivered is counted and reported as a direct send would be.
   */
  send(): void {
    this.batching = false;
    const datas = this.#datas;
    const count = datas.length;
    if (count === 0) return;
    const peers = this.#peers;
    const uids = this.#uids;
    const host = this.#host;
    const c = host.counters;
    const queue = host.queue;
    let done = 0;
    try {
      while (done < count) {
        if (host.closed()) {
          c.dropped += count - done;
          c.droppedClosed += count - done;
          break;
        }
        const peer = peers[done] as string;
        if (queue.has(peer)) {
          queue.enqueue(peer, datas[done] as Uint8Array, uids[done] as number);
          done++;
          continue;
        }
        // A run may not pass a reply whose peer has replies waiting (they keep their order).
        let end = done + 1;
        while (end < count && !queue.has(peers[end] as string)) end++;
        let r: number;
        try {
          r = host.socket.sendMany(datas, peers, uids, done, end - done);
        } catch (err) {
          // Only for a peer the addon cannot read as an address (never one it received from).
          c.dropped++;
          c.droppedUnreachable++;
          host.refused(peer, err);
          done++;
          continue;
        }
        if (r > 0) {
          c.sent += r;
          done += r;
        } else if (r === -EAGAIN) {
          queue.enqueue(peer, datas[done] as Uint8Array, uids[done] as number);
          done++;
        } else {
          // (0 cannot come back for a non-empty run; it is treated as a failed send.)
          host.unreachable(peer, r < 0 ? r : -EIO);
          done++;
        }
      }
    } finally {
      datas.length = 0;
      peers.length = 0;
      uids.length = 0;
    }
  }
}
