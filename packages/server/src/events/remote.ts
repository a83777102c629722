/**
 * Events with `children_count` > 1: the primary holds the one
 * {@link EventService}; the workers' commands and `events.raise` reach it
 * over the pool's IPC channel, and the primary tells every worker which
 * events have subscribers (so a raise nobody listens to stays in the worker
 * and costs one `Set` lookup).
 */
import type { EventParam } from '@mi-datagram/protocol';
import type { EventPublisher } from './publisher.js';
import type {
  EventInfo,
  EventService,
  EventSubscribers,
  EventsBackend,
  RaiseOutcome,
  SubscribeRequest,
} from './service.js';
import type { SubscribeOutcome } from './subscriptions.js';

/** `op` of a worker's request to the primary. */
export const EVENTS_OP = 'mi-datagram/events';
/** `op` of the primary's broadcast of the names with subscribers. */
export const EVENTS_SUBSCRIBED_OP = 'mi-datagram/events-subscribed';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isParams(value: unknown): value is EventParam[] {
  return (
    Array.isArray(value) &&
    value.every(
      (p) =>
        isRecord(p) &&
        (p.name === null || typeof p.name === 'string') &&
        (typeof p.value === 'string' || typeof p.value === 'number'),
    )
  );
}

function isSubscribeRequest(value: unknown): value is SubscribeRequest {
  if (!isRecord(value) || !isRecord(value.target)) return false;
  const t = value.target;
  const targetOk =
    (t.kind === 'unix' && typeof t.path === 'string') ||
    (t.kind === 'udp' &&
      typeof t.address === 'string' &&
      typeof t.port === 'number' &&
      (t.family === 4 || t.family === 6));
  return (
    targetOk &&
    typeof value.event === 'string' &&
    typeof value.socket === 'string' &&
    typeof value.expire === 'number' &&
    (value.format === 'json' || value.format === 'text')
  );
}

/**
 * The primary's answer to an events request of a worker, or `undefined`
 * when the payload is not one.
 */
export function answerEventsRequest(service: EventService, payload: unknown): unknown {
  if (!isRecord(payload) || payload.op !== EVENTS_OP) return undefined;
  switch (payload.action) {
    case 'list':
      return service.eventsList();
    case 'names':
      return service.subscribedNames();
    case 'subscribe':
      if (!isSubscribeRequest(payload.request)) throw new Error('bad subscribe request');
      return service.subscribe(payload.request);
    case 'subscribers':
      if (payload.event !== null && typeof payload.event !== 'string') throw new Error('bad event');
      return service.subscribers(payload.event);
    case 'raise':
      if (typeof payload.event !== 'string' || !isParams(payload.params)) {
        throw new Error('bad raise request');
      }
      return service.raise(payload.event, payload.params);
    default:
      throw new Error('unknown events request');
  }
}

/** The names of the primary's broadcast, or `undefined` when the payload is not one. */
export function subscribedNamesOf(payload: unknown): string[] | undefined {
  if (!isRecord(payload) || payload.op !== EVENTS_SUBSCRIBED_OP || !Array.isArray(payload.names)) {
    return undefined;
  }
  return payload.names.filter((n): n is string => typeof n === 'string');
}

export function subscribedNamesPayload(names: readonly string[]) {
  return { op: EVENTS_SUBSCRIBED_OP, names: [...names] };
}

/** A worker's backend: every call is one request to the primary. */
export class RemoteEventsBackend implements EventsBackend {
  readonly #send: (payload: Record<string, unknown>) => Promise<unknown>;

  constructor(send: (payload: Record<string, unknown>) => Promise<unknown>) {
    this.#send = send;
  }

  eventsList(): Promise<readonly EventInfo[]> {
    return this.#send({ op: EVENTS_OP, action: 'list' }) as Promise<readonly EventInfo[]>;
  }

  subscribe(request: SubscribeRequest): Promise<SubscribeOutcome | 'unknown'> {
    return this.#send({ op: EVENTS_OP, action: 'subscribe', request: { ...request } }) as Promise<
      SubscribeOutcome | 'unknown'
    >;
  }

  subscribers(event: string | null): Promise<readonly EventSubscribers[] | null> {
    return this.#send({ op: EVENTS_OP, action: 'subscribers', event }) as Promise<
      readonly EventSubscribers[] | null
    >;
  }

  raise(event: string, params: readonly EventParam[]): Promise<RaiseOutcome> {
    return this.#send({
      op: EVENTS_OP,
      action: 'raise',
      event,
      params: params.map((p) => ({ ...p })),
    }) as Promise<RaiseOutcome>;
  }

  /**
   * Connects this worker's publisher: raised events with subscribers go to
   * the primary (fire and forget; a failure is counted by `onLost`), and the
   * primary's list of subscribed names is fetched once now.
   */
  connect(publisher: EventPublisher, onLost: (error: unknown) => void): Promise<void> {
    publisher.connect((name, params) => {
      this.raise(name, params).catch(onLost);
    });
    return (this.#send({ op: EVENTS_OP, action: 'names' }) as Promise<unknown>).then((names) => {
      if (Array.isArray(names)) publisher.setSubscribed(names.filter((n) => typeof n === 'string'));
    });
  }
}
