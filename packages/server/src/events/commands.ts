/**
 * The MI commands of events (docs/events.md), in the reply shapes of
 * OpenSIPS 3.6 (JSON-RPC) and 2.4 (legacy text):
 * `events_list`, `subscribers_list [event [socket]]`,
 * `event_subscribe event socket [expire [format]]` and
 * `raise_event event [params]`.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import {
  type EventFormat,
  type EventParam,
  type JsonValue,
  type MiNode,
  parseSubscriberSocket,
} from '@mi-datagram/protocol';
import {
  InvalidParamsError,
  type MiCommandDefinition,
  type MiCommandResult,
  type MiRequest,
} from '../commands/index.js';
import type { EventSubscribers, EventsBackend } from './service.js';
import type { DeliveryTarget, ListedSubscriber } from './subscriptions.js';

/** Default `expire` of `event_subscribe`, seconds (the original's). */
export const DEFAULT_EXPIRE = 3600;
/** Longest `expire` accepted (a week). */
export const MAX_EXPIRE = 7 * 24 * 3600;

const OK: MiCommandResult = Object.freeze({ json: 'OK' });

function badParameter(request: MiRequest): MiCommandResult {
  return request.protocol === 'legacy'
    ? { code: 400, reason: 'Bad parameter' }
    : { code: 400, reason: 'Bad parameter value' };
}

/** Resolves the subscriber socket to where datagrams go; null when it cannot be used. */
async function targetOf(socket: string): Promise<DeliveryTarget | null> {
  const parsed = parseSubscriberSocket(socket);
  if (parsed === null) return null;
  if (parsed.kind === 'unix') return parsed;
  const literal = isIP(parsed.host);
  if (literal !== 0) {
    return { kind: 'udp', address: parsed.host, port: parsed.port, family: literal as 4 | 6 };
  }
  try {
    const found = await lookup(parsed.host);
    return {
      kind: 'udp',
      address: found.address,
      port: parsed.port,
      family: found.family as 4 | 6,
    };
  } catch {
    return null;
  }
}

function subscriberJson(s: ListedSubscriber): JsonValue {
  return { socket: s.socket, expire: s.expire, ttl: s.ttl };
}

function eventNode(e: EventSubscribers): MiNode {
  return {
    name: 'Event',
    value: e.name,
    attributes: [['id', String(e.id)]],
    children: e.subscribers.map((s) => ({
      name: 'Subscriber',
      value: '',
      attributes: [
        ['socket', s.socket],
        ['expire', String(s.expire)],
      ],
    })),
  };
}

function listReply(
  found: readonly EventSubscribers[] | null,
  event: string | null,
  socket: string | null,
): MiCommandResult {
  if (found === null) return { code: 404, reason: 'Event not published' };
  if (event === null) {
    return {
      json: {
        Events: found.map((e) => ({
          name: e.name,
          id: e.id,
          Subscribers: e.subscribers.map(subscriberJson),
        })),
      },
      nodes: found.map(eventNode),
    };
  }
  const e = found[0] as EventSubscribers;
  if (socket !== null) {
    const s = e.subscribers.find((x) => x.socket === socket);
    if (s === undefined) return { code: 404, reason: 'Subscriber does not exist' };
    return {
      json: { Event: { name: e.name, id: e.id, Subscriber: subscriberJson(s) } },
      nodes: [eventNode({ ...e, subscribers: [s] })],
    };
  }
  if (e.subscribers.length === 0) return { json: { Event: {} }, nodes: [] };
  return {
    json: { Event: { name: e.name, id: e.id, Subscribers: e.subscribers.map(subscriberJson) } },
    nodes: [eventNode(e)],
  };
}

/** `raise_event`'s params: a JSON array (positional) or object (named), as JSON text. */
function raiseParams(text: string | null): EventParam[] | 'bad' | 'none' {
  if (text === null) return 'none';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'bad';
  }
  const item = (v: unknown): string | number =>
    typeof v === 'number' || typeof v === 'string' ? v : JSON.stringify(v);
  if (Array.isArray(value)) return value.map((v) => ({ name: null, value: item(v) }));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).map(([name, v]) => ({ name, value: item(v) }));
  }
  return 'none';
}

function then<T>(
  value: T | Promise<T>,
  f: (v: T) => MiCommandResult,
): MiCommandResult | Promise<MiCommandResult> {
  return value instanceof Promise ? value.then(f) : f(value);
}

/** The four commands over `backend` (this process's service, or the pool primary's). */
export function createEventCommands(backend: EventsBackend): MiCommandDefinition[] {
  return [
    {
      name: 'events_list',
      help: 'lists the events this server publishes',
      level: 'read',
      params: {},
      handler() {
        return then(backend.eventsList(), (list) => ({
          json: { Events: list.map((e) => ({ name: e.name, id: e.id })) },
          nodes: list.map((e) => ({
            name: 'Event',
            value: e.name,
            attributes: [['id', String(e.id)]],
          })),
        }));
      },
    },
    {
      name: 'subscribers_list',
      help: 'lists the subscribers: all, of one event, or one socket of an event',
      level: 'read',
      params: {
        event: { type: 'string', description: 'event name' },
        socket: { type: 'string', description: 'subscriber socket (udp:HOST:PORT or unix:PATH)' },
      },
      recipes: [[], ['event'], ['event', 'socket']],
      handler(request) {
        const event = typeof request.params?.event === 'string' ? request.params.event : null;
        const socket = typeof request.params?.socket === 'string' ? request.params.socket : null;
        return then(backend.subscribers(event), (found) => listReply(found, event, socket));
      },
    },
    {
      name: 'event_subscribe',
      help: 'subscribes a socket to an event: event, socket (udp:HOST:PORT or unix:PATH), expire seconds (default 3600; 0 unsubscribes), format (json or text)',
      level: 'operator',
      params: {
        event: { type: 'string', description: 'event name' },
        socket: { type: 'string', description: 'udp:HOST:PORT or unix:PATH' },
        expire: { type: 'integer', description: 'seconds (default 3600; 0 unsubscribes)' },
        format: { type: 'string', description: 'json (3.6) or text (2.4)' },
      },
      recipes: [
        ['event', 'socket'],
        ['event', 'socket', 'expire'],
        ['event', 'socket', 'expire', 'format'],
      ],
      async handler(request) {
        const p = request.params ?? {};
        const event = String(p.event);
        const socket = String(p.socket);
        const expire = typeof p.expire === 'number' ? p.expire : DEFAULT_EXPIRE;
        if (expire < 0) return { paramsError: 'Negative expire value' };
        if (expire > MAX_EXPIRE) return { paramsError: `expire above ${MAX_EXPIRE}` };
        let format: EventFormat = request.protocol === 'legacy' ? 'text' : 'json';
        if (p.format !== undefined) {
          if (p.format !== 'json' && p.format !== 'text')
            return { paramsError: 'Bad format (json or text)' };
          format = p.format;
        }
        const target = await targetOf(socket);
        if (target === null) return badParameter(request);
        if (
          target.kind === 'udp' &&
          request.listener !== undefined &&
          !request.listener.allowsAddress(target.address)
        ) {
          return { code: 403, reason: 'Permission denied' };
        }
        const outcome = await backend.subscribe({ event, socket, expire, format, target });
        if (outcome === 'unknown') return badParameter(request);
        if (outcome === 'full') return { code: 503, reason: 'Too many subscribers' };
        return OK;
      },
    },
    {
      name: 'raise_event',
      help: 'raises an event: event, params (a JSON array or object, or such JSON in a string)',
      level: 'operator',
      handler(request) {
        const args = request.args;
        if (args.length === 0 || args.length > 2) throw InvalidParamsError.of('count');
        const named = args[0]?.name !== null;
        const eventArg = named ? args.find((a) => a.name === 'event') : args[0];
        const paramsArg = named ? args.find((a) => a.name === 'params') : args[1];
        if (
          eventArg?.value == null ||
          (named && args.some((a) => a.name !== 'event' && a.name !== 'params'))
        ) {
          throw InvalidParamsError.of('names');
        }
        const params = raiseParams(paramsArg === undefined ? null : paramsArg.value);
        if (params === 'bad') return { code: 400, reason: 'Bad Params' };
        if (params === 'none' && paramsArg !== undefined) return { code: 400, reason: 'No Params' };
        return then(backend.raise(eventArg.value, params === 'none' ? [] : params), (outcome) => {
          if (outcome === 'unknown') return { code: 404, reason: 'Event not registered' };
          if (outcome === 'no-subscribers') return { code: 480, reason: 'Temporarily Unavailable' };
          return OK;
        });
      },
    },
  ];
}
