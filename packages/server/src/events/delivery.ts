/**
 * Sending event datagrams to subscribers without ever blocking the caller:
 * one unbound-to-anyone sender socket per kind (UDP per address family and
 * scope, UNIX in a private directory), created on first use. The transports
 * send without blocking; a subscriber whose queue is full waits at most
 * `socket_timeout` ms, then the datagram is dropped (counted). Each
 * subscriber has at most `maxPendingPerSubscriber` datagrams queued. A
 * subscriber whose sends fail `failureLimit` times in a row is dropped.
 */
import type { DatagramTransport, SendOutcome } from '@mi-datagram/protocol';
import { openUdpReplySocket, type UdpPeer } from '@mi-datagram/transport-udp';
import { openUnixReplySocket } from '@mi-datagram/transport-unix';
import type { Logger } from '../ops/index.js';
import type { DeliveryTarget, Subscriber } from './subscriptions.js';

export interface DeliveryOptions {
  readonly logger: Logger;
  /** `socket_timeout`: how long a datagram may wait for a full subscriber queue, ms. */
  readonly socketTimeoutMs: number;
  /** Most datagrams queued for one subscriber. Default 64. */
  readonly maxPendingPerSubscriber?: number;
  /** Failed sends in a row after which a subscriber is dropped. Default 10. */
  readonly failureLimit?: number;
  /** Called when a subscriber is dropped for failing. */
  readonly onFailing: (subscriber: Subscriber) => void;
}

export interface DeliveryStats {
  /** Datagrams handed to the kernel (or queued for it). */
  readonly sent: number;
  /** Datagrams not sent: full queue past socket_timeout, unreachable subscriber. */
  readonly dropped: number;
  /** Subscribers dropped because their sends kept failing. */
  readonly failingDropped: number;
}

type Sender = DatagramTransport<unknown>;

function isLoopback(target: DeliveryTarget & { kind: 'udp' }): boolean {
  return target.family === 4 ? target.address.startsWith('127.') : target.address === '::1';
}

export class EventDelivery {
  readonly #options: DeliveryOptions;
  readonly #senders = new Map<string, Promise<Sender>>();
  readonly #open: Sender[] = [];
  /** The senders already open, by key: sends to them are synchronous. */
  readonly #ready = new Map<string, Sender>();
  readonly #failures = new Map<string, number>();
  readonly #failureLimit: number;
  #sent = 0;
  /** Sends that threw or found no socket (the transports count their own drops). */
  #thrown = 0;
  #failingDropped = 0;
  #closed = false;

  constructor(options: DeliveryOptions) {
    this.#options = options;
    this.#failureLimit = options.failureLimit ?? 10;
  }

  #transportOptions() {
    return {
      socketTimeout: this.#options.socketTimeoutMs,
      maxPendingPerPeer: this.#options.maxPendingPerSubscriber ?? 64,
      onError: () => {},
    };
  }

  #sender(target: DeliveryTarget, key: string): Promise<Sender> {
    let sender = this.#senders.get(key);
    if (sender === undefined) {
      sender =
        target.kind === 'unix'
          ? openUnixReplySocket(this.#transportOptions())
          : openUdpReplySocket(
              { host: target.address, family: target.family },
              this.#transportOptions(),
            );
      sender = sender.then((t) => {
        t.unref();
        this.#open.push(t as Sender);
        this.#ready.set(key, t as Sender);
        return t as Sender;
      });
      // A failed open is retried at the next send.
      sender.catch(() => this.#senders.delete(key));
      this.#senders.set(key, sender);
    }
    return sender;
  }

  /** Sends `bytes` to `subscriber`; returns at once. */
  send(subscriber: Subscriber, bytes: Uint8Array): void {
    if (this.#closed) return;
    const target = subscriber.target;
    const key =
      target.kind === 'unix' ? 'unix' : `udp${target.family}${isLoopback(target) ? 'lo' : ''}`;
    const ready = this.#ready.get(key);
    if (ready !== undefined) {
      this.#sendNow(ready, subscriber, bytes);
      return;
    }
    void this.#sender(target, key).then(
      (sender) => this.#sendNow(sender, subscriber, bytes),
      (error: unknown) => {
        this.#options.logger.error('events: cannot open a sender socket', { error: String(error) });
        this.#thrown++;
        this.#outcome(subscriber, 'dropped');
      },
    );
  }

  #sendNow(sender: Sender, subscriber: Subscriber, bytes: Uint8Array): void {
    const target = subscriber.target;
    let outcome: SendOutcome;
    try {
      const peer: unknown =
        target.kind === 'unix'
          ? target.path
          : ({
              address: target.address,
              port: target.port,
              family: target.family === 4 ? 'IPv4' : 'IPv6',
            } satisfies UdpPeer);
      outcome = sender.send(bytes, peer);
    } catch {
      this.#thrown++;
      outcome = 'dropped';
    }
    this.#outcome(subscriber, outcome);
  }

  #outcome(subscriber: Subscriber, outcome: SendOutcome): void {
    const key = `${subscriber.event}\n${subscriber.socket}`;
    if (outcome !== 'dropped') {
      this.#sent++;
      if (this.#failures.size > 0) this.#failures.delete(key);
      return;
    }
    const failures = (this.#failures.get(key) ?? 0) + 1;
    if (failures < this.#failureLimit) {
      this.#failures.set(key, failures);
      return;
    }
    this.#failures.delete(key);
    this.#failingDropped++;
    this.#options.logger.warn('events: subscriber dropped, its sends keep failing', {
      event: subscriber.event,
      socket: subscriber.socket,
      failures,
    });
    this.#options.onFailing(subscriber);
  }

  stats(): DeliveryStats {
    // Queued datagrams given up later (socket_timeout, pending limit) are the transports' drops.
    let transportDropped = 0;
    for (const t of this.#open) transportDropped += t.stats().dropped;
    return {
      sent: this.#sent,
      dropped: this.#thrown + transportDropped,
      failingDropped: this.#failingDropped,
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    const senders = [...this.#senders.values()];
    this.#senders.clear();
    this.#ready.clear();
    this.#open.length = 0;
    await Promise.all(senders.map((s) => s.then((t) => t.close()).catch(() => {})));
  }
}
