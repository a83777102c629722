/**
 * The subscription list: event name → subscribers, newest first (as the
 * original lists them). Pure: time is passed in (ms).
 *
 * Differences from the original, on purpose: a socket is matched by its
 * exact text (2.4 and 3.6 compared prefixes: `udp:127.0.0.1:9` replaced
 * `udp:127.0.0.10:9`); `expire 0` removes the subscriber at once, and an
 * unknown one is not added; expired subscribers are never listed nor sent to
 * (the list is purged before each read).
 */
import type { EventFormat } from '@mi-datagram/protocol';

export interface Subscriber {
  readonly event: string;
  /** As given to `event_subscribe` (the identity of the subscriber). */
  readonly socket: string;
  /** Seconds. */
  readonly expire: number;
  /** When it was (re)subscribed, ms. */
  readonly since: number;
  readonly format: EventFormat;
  /** Where datagrams go (a UDP host resolved once, at subscribe time). */
  readonly target: DeliveryTarget;
}

export type DeliveryTarget =
  | {
      readonly kind: 'udp';
      readonly address: string;
      readonly port: number;
      readonly family: 4 | 6;
    }
  | { readonly kind: 'unix'; readonly path: string };

/** A subscriber as listed: `ttl` seconds left. */
export interface ListedSubscriber {
  readonly socket: string;
  readonly expire: number;
  readonly ttl: number;
}

export interface SubscriptionLimits {
  /** Most subscribers of one event. */
  readonly perEvent: number;
  /** Most subscriptions in all. */
  readonly total: number;
}

export const DEFAULT_SUBSCRIPTION_LIMITS: SubscriptionLimits = Object.freeze({
  perEvent: 64,
  total: 1024,
});

export type SubscribeOutcome = 'added' | 'renewed' | 'removed' | 'absent' | 'full';

export class SubscriptionTable {
  readonly #byEvent = new Map<string, Subscriber[]>();
  readonly #limits: SubscriptionLimits;
  #total = 0;

  constructor(limits: SubscriptionLimits = DEFAULT_SUBSCRIPTION_LIMITS) {
    this.#limits = limits;
  }

  get size(): number {
    return this.#total;
  }

  /** Subscribes (or renews; `expire` 0 unsubscribes). */
  subscribe(
    event: string,
    socket: string,
    expire: number,
    format: EventFormat,
    target: DeliveryTarget,
    now: number,
  ): SubscribeOutcome {
    this.purge(now);
    const list = this.#byEvent.get(event) ?? [];
    const index = list.findIndex((s) => s.socket === socket);
    if (expire === 0) {
      if (index < 0) return 'absent';
      this.#remove(event, list, index);
      return 'removed';
    }
    const entry: Subscriber = { event, socket, expire, since: now, format, target };
    if (index >= 0) {
      list[index] = entry;
      return 'renewed';
    }
    if (list.length >= this.#limits.perEvent || this.#total >= this.#limits.total) return 'full';
    list.unshift(entry);
    this.#byEvent.set(event, list);
    this.#total++;
    return 'added';
  }

  /** Removes one subscriber (a socket that keeps failing). */
  drop(event: string, socket: string): boolean {
    const list = this.#byEvent.get(event);
    const index = list?.findIndex((s) => s.socket === socket) ?? -1;
    if (list === undefined || index < 0) return false;
    this.#remove(event, list, index);
    return true;
  }

  #remove(event: string, list: Subscriber[], index: number): void {
    list.splice(index, 1);
    this.#total--;
    if (list.length === 0) this.#byEvent.delete(event);
  }

  /** Removes the expired subscribers; true when any was. */
  purge(now: number): boolean {
    let removed = false;
    for (const [event, list] of this.#byEvent) {
      for (let i = list.length - 1; i >= 0; i--) {
        const s = list[i] as Subscriber;
        if (now >= s.since + s.expire * 1000) {
          this.#remove(event, list, i);
          removed = true;
        }
      }
    }
    return removed;
  }

  /** Live subscribers of `event`, newest first. */
  subscribersOf(event: string, now: number): readonly Subscriber[] {
    const list = this.#byEvent.get(event);
    if (list === undefined) return [];
    return list.filter((s) => now < s.since + s.expire * 1000);
  }

  /** Events with live subscribers, in no particular order. */
  events(): string[] {
    return [...this.#byEvent.keys()];
  }

  /** How a subscriber is listed at `now`. */
  static listed(s: Subscriber, now: number): ListedSubscriber {
    const ttl = Math.max(0, Math.ceil((s.since + s.expire * 1000 - now) / 1000));
    return { socket: s.socket, expire: s.expire, ttl };
  }
}
