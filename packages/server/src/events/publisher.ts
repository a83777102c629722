/**
 * The publish API (docs/events.md): the events a program publishes, and
 * `raise`. One publisher per process ({@link events}): command modules and
 * embedding programs declare their events at load time and raise them from
 * anywhere. Raising an event nobody is subscribed to is one `Set` lookup;
 * otherwise the event is handed to the server's delivery (in this process,
 * or the pool's primary over IPC), which never blocks the caller.
 */
import type { EventParam } from '@mi-datagram/protocol';

export type EventsErrorCode = 'INVALID_EVENT_NAME' | 'UNKNOWN_EVENT' | 'TOO_MANY_EVENTS';

export class EventsError extends Error {
  readonly code: EventsErrorCode;
  constructor(code: EventsErrorCode, message: string) {
    super(message);
    this.name = 'EventsError';
    this.code = code;
  }
}

/** A parameter value: strings, numbers (integers go out as numbers); anything else as its text. */
export type EventValue = string | number | boolean;

/** Named params (an object: keys in order) or positional ones (an array). */
export type EventParams = { readonly [name: string]: EventValue } | readonly EventValue[];

/** Where raised events with subscribers go (the server's delivery). */
export type EventSink = (name: string, params: readonly EventParam[]) => void;

/** Most events one process may declare. */
export const MAX_DECLARED_EVENTS = 1024;

const EVENT_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function toParams(params: EventParams | undefined): EventParam[] {
  if (params === undefined) return [];
  const value = (v: EventValue): string | number => (typeof v === 'boolean' ? String(v) : v);
  if (Array.isArray(params)) {
    return (params as readonly EventValue[]).map((v) => ({ name: null, value: value(v) }));
  }
  return Object.entries(params as Record<string, EventValue>).map(([name, v]) => ({
    name,
    value: value(v),
  }));
}

export class EventPublisher {
  readonly #ids = new Map<string, number>();
  #subscribed: ReadonlySet<string> = new Set();
  #sink: EventSink | null = null;

  /** Declares an event (idempotent). Names: letters, digits, `_.-`, at most 64. */
  declare(name: string): void {
    if (typeof name !== 'string' || !EVENT_NAME.test(name)) {
      throw new EventsError('INVALID_EVENT_NAME', `invalid event name ${JSON.stringify(name)}`);
    }
    if (this.#ids.has(name)) return;
    if (this.#ids.size >= MAX_DECLARED_EVENTS) {
      throw new EventsError('TOO_MANY_EVENTS', `at most ${MAX_DECLARED_EVENTS} events`);
    }
    this.#ids.set(name, this.#ids.size);
  }

  /** The id of a declared event (declaration order), or undefined. */
  idOf(name: string): number | undefined {
    return this.#ids.get(name);
  }

  /** Declared events in declaration order. */
  list(): { readonly name: string; readonly id: number }[] {
    return [...this.#ids].map(([name, id]) => ({ name, id }));
  }

  /** True when someone is subscribed to `name` (what `raise` checks first). */
  hasSubscribers(name: string): boolean {
    return this.#subscribed.has(name);
  }

  /**
   * Raises a declared event. Returns true when it was handed to delivery
   * (someone is subscribed), false when nobody listens. Never blocks; an
   * undeclared name throws {@link EventsError} `UNKNOWN_EVENT`.
   */
  raise(name: string, params?: EventParams): boolean {
    if (!this.#subscribed.has(name)) {
      if (!this.#ids.has(name)) {
        throw new EventsError('UNKNOWN_EVENT', `event ${JSON.stringify(name)} is not declared`);
      }
      return false;
    }
    const sink = this.#sink;
    if (sink === null) return false;
    sink(name, toParams(params));
    return true;
  }

  /** @internal the server: where events go, and which have subscribers. */
  connect(sink: EventSink | null): void {
    this.#sink = sink;
  }

  /** @internal a closing server: disconnects `sink` only if it is still the one connected. */
  disconnect(sink: EventSink): void {
    if (this.#sink !== sink) return;
    this.#sink = null;
    this.#subscribed = new Set();
  }

  /** @internal the server: the names with live subscribers. */
  setSubscribed(names: Iterable<string>): void {
    this.#subscribed = new Set(names);
  }
}

/** This process's publisher (`import { events } from '@mi-datagram/server'`). */
export const events = new EventPublisher();

/** The server's own events (declared in every process). */
export const SERVER_EVENTS = Object.freeze({
  /** A worker process of the pool exited unexpectedly and is being replaced. */
  WORKER_REPLACED: 'E_MI_WORKER_REPLACED',
  /** A listener's UNIX socket file was removed from under it. */
  SOCKET_REMOVED: 'E_MI_SOCKET_REMOVED',
  /** A request was refused because too much work was in flight (503). */
  BUSY: 'E_MI_BUSY',
});

for (const name of Object.values(SERVER_EVENTS)) events.declare(name);
