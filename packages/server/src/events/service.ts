/**
 * The events of one server: the publisher's declarations, the subscription
 * list and the delivery. With `children_count` > 1 it lives in the pool's
 * primary and the workers reach it over IPC (remote.ts), so the list is one
 * for the whole server and each raised event is sent once per subscriber.
 */
import { type EventFormat, type EventParam, encodeEventDatagram } from '@mi-datagram/protocol';
import type { Logger } from '../ops/index.js';
import { type DeliveryStats, EventDelivery } from './delivery.js';
import { type EventPublisher, events as processEvents } from './publisher.js';
import {
  type DeliveryTarget,
  type ListedSubscriber,
  type SubscribeOutcome,
  type SubscriptionLimits,
  SubscriptionTable,
} from './subscriptions.js';

/** One event as `events_list` shows it. */
export interface EventInfo {
  readonly name: string;
  readonly id: number;
}

/** One event with its live subscribers, as `subscribers_list` shows it. */
export interface EventSubscribers extends EventInfo {
  readonly subscribers: readonly ListedSubscriber[];
}

export interface SubscribeRequest {
  readonly event: string;
  readonly socket: string;
  readonly expire: number;
  readonly format: EventFormat;
  readonly target: DeliveryTarget;
}

export type RaiseOutcome = 'raised' | 'unknown' | 'no-subscribers';

/** What the MI commands need: this process's service, or the primary's over IPC. */
export interface EventsBackend {
  eventsList(): readonly EventInfo[] | Promise<readonly EventInfo[]>;
  /** `unknown`: the event is not declared. */
  subscribe(
    request: SubscribeRequest,
  ): SubscribeOutcome | 'unknown' | Promise<SubscribeOutcome | 'unknown'>;
  /** `null` event: every event with subscribers; `null` result: unknown event. */
  subscribers(
    event: string | null,
  ): readonly EventSubscribers[] | null | Promise<readonly EventSubscribers[] | null>;
  raise(event: string, params: readonly EventParam[]): RaiseOutcome | Promise<RaiseOutcome>;
}

export interface EventServiceOptions {
  readonly logger: Logger;
  /** `socket_timeout`, ms. */
  readonly socketTimeoutMs: number;
  readonly publisher?: EventPublisher;
  readonly limits?: SubscriptionLimits;
  readonly now?: () => number;
  /** Called with the names that have subscribers whenever they change (the pool tells its workers). */
  readonly onSubscribedChange?: (names: readonly string[]) => void;
  /** Failed sends in a row after which a subscriber is dropped. Default 10. */
  readonly failureLimit?: number;
}

export interface EventsStats extends DeliveryStats {
  readonly subscriptions: number;
  /** Events raised with at least one subscriber. */
  readonly raised: number;
}

export class EventService implements EventsBackend {
  readonly publisher: EventPublisher;
  readonly #table: SubscriptionTable;
  readonly #delivery: EventDelivery;
  readonly #now: () => number;
  readonly #onChange: ((names: readonly string[]) => void) | undefined;
  readonly #timer: NodeJS.Timeout;
  readonly #sink = (name: string, params: readonly EventParam[]) => {
    this.deliver(name, params);
  };
  #raised = 0;
  #names = '';

  constructor(options: EventServiceOptions) {
    this.publisher = options.publisher ?? processEvents;
    this.#table = new SubscriptionTable(options.limits);
    this.#now = options.now ?? Date.now;
    this.#onChange = options.onSubscribedChange;
    this.#delivery = new EventDelivery({
      logger: options.logger,
      socketTimeoutMs: options.socketTimeoutMs,
      ...(options.failureLimit === undefined ? {} : { failureLimit: options.failureLimit }),
      onFailing: (s) => {
        this.#table.drop(s.event, s.socket);
        this.#changed();
      },
    });
    this.publisher.connect(this.#sink);
    // Expired subscribers leave the fast path's set within a second.
    this.#timer = setInterval(() => {
      if (this.#table.purge(this.#now())) this.#changed();
    }, 1000);
    this.#timer.unref();
    this.#changed();
  }

  #changed(): void {
    const names = this.#table.events();
    const key = names.join('\n');
    if (key === this.#names) return;
    this.#names = key;
    this.publisher.setSubscribed(names);
    this.#onChange?.(names);
  }

  /** The names with live subscribers. */
  subscribedNames(): string[] {
    return this.#table.events();
  }

  eventsList(): readonly EventInfo[] {
    return this.publisher.list();
  }

  subscribe(request: SubscribeRequest): SubscribeOutcome | 'unknown' {
    if (this.publisher.idOf(request.event) === undefined) return 'unknown';
    const outcome = this.#table.subscribe(
      request.event,
      request.socket,
      request.expire,
      request.format,
      request.target,
      this.#now(),
    );
    this.#changed();
    return outcome;
  }

  subscribers(event: string | null): readonly EventSubscribers[] | null {
    const now = this.#now();
    if (this.#table.purge(now)) this.#changed();
    const one = (info: EventInfo): EventSubscribers => ({
      ...info,
      subscribers: this.#table
        .subscribersOf(info.name, now)
        .map((s) => SubscriptionTable.listed(s, now)),
    });
    if (event !== null) {
      const id = this.publisher.idOf(event);
      return id === undefined ? null : [one({ name: event, id })];
    }
    return this.publisher
      .list()
      .map(one)
      .filter((e) => e.subscribers.length > 0);
  }

  raise(event: string, params: readonly EventParam[]): RaiseOutcome {
    if (this.publisher.idOf(event) === undefined) return 'unknown';
    return this.deliver(event, params) ? 'raised' : 'no-subscribers';
  }

  /** Sends an event to its live subscribers (encoded once per format); false when it has none. */
  deliver(event: string, params: readonly EventParam[]): boolean {
    const subscribers = this.#table.subscribersOf(event, this.#now());
    if (subscribers.length === 0) return false;
    this.#raised++;
    let json: Uint8Array | null = null;
    let text: Uint8Array | null = null;
    for (const s of subscribers) {
      let bytes: Uint8Array;
      if (s.format === 'json') {
        json ??= encodeEventDatagram('json', event, params);
        bytes = json;
      } else {
        text ??= encodeEventDatagram('text', event, params);
        bytes = text;
      }
      this.#delivery.send(s, bytes);
    }
    return true;
  }

  stats(): EventsStats {
    return { ...this.#delivery.stats(), subscriptions: this.#table.size, raised: this.#raised };
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    // A server started later in this process keeps the publisher.
    this.publisher.disconnect(this.#sink);
    await this.#delivery.close();
  }
}
