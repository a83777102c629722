import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventPublisher, EventService } from '../src/events/index.js';
import { SubscriptionTable } from '../src/events/subscriptions.js';
import { createLogger } from '../src/ops/index.js';
import { waitFor } from './helpers/procs.js';

const UDP = { kind: 'udp', address: '127.0.0.1', port: 9, family: 4 } as const;

describe('SubscriptionTable', () => {
  it('bounds subscriptions per event and in total; renewing is not adding', () => {
    const t = new SubscriptionTable({ perEvent: 2, total: 3 });
    expect(t.subscribe('A', 'udp:127.0.0.1:1', 10, 'json', UDP, 0)).toBe('added');
    expect(t.subscribe('A', 'udp:127.0.0.1:2', 10, 'json', UDP, 0)).toBe('added');
    expect(t.subscribe('A', 'udp:127.0.0.1:3', 10, 'json', UDP, 0)).toBe('full');
    expect(t.subscribe('A', 'udp:127.0.0.1:1', 20, 'json', UDP, 0)).toBe('renewed');
    expect(t.subscribe('B', 'udp:127.0.0.1:1', 10, 'json', UDP, 0)).toBe('added');
    expect(t.subscribe('C', 'udp:127.0.0.1:1', 10, 'json', UDP, 0)).toBe('full');
    expect(t.subscribe('C', 'udp:127.0.0.1:1', 0, 'json', UDP, 0)).toBe('absent');
    expect(t.size).toBe(3);
  });

  it('expires to the millisecond and lists ttl in whole seconds', () => {
    const t = new SubscriptionTable();
    t.subscribe('A', 'unix:/x', 3, 'text', { kind: 'unix', path: '/x' }, 1000);
    const [s] = t.subscribersOf('A', 1500);
    expect(SubscriptionTable.listed(s!, 1500)).toEqual({ socket: 'unix:/x', expire: 3, ttl: 3 });
    expect(t.subscribersOf('A', 3999)).toHaveLength(1);
    expect(t.subscribersOf('A', 4000)).toHaveLength(0);
    expect(t.purge(4000)).toBe(true);
    expect(t.events()).toEqual([]);
  });
});

describe('EventPublisher', () => {
  it('raising without subscribers does nothing; undeclared names throw', () => {
    const p = new EventPublisher();
    p.declare('E_X');
    const seen: unknown[] = [];
    p.connect((name, params) => seen.push([name, params]));
    expect(p.raise('E_X', { a: 1 })).toBe(false);
    expect(() => p.raise('E_NOPE')).toThrow(expect.objectContaining({ code: 'UNKNOWN_EVENT' }));
    p.setSubscribed(['E_X']);
    expect(p.raise('E_X', ['v', 2, true])).toBe(true);
    expect(seen).toEqual([
      [
        'E_X',
        [
          { name: null, value: 'v' },
          { name: null, value: 2 },
          { name: null, value: 'true' },
        ],
      ],
    ]);
    expect(() => p.declare('bad name')).toThrow(
      expect.objectContaining({ code: 'INVALID_EVENT_NAME' }),
    );
  });
});

describe('EventService delivery', () => {
  it('a subscriber whose sends keep failing is dropped and logged', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mi-events-units-'));
    const lines: string[] = [];
    const logger = createLogger({ level: 4, write: (line) => lines.push(line) });
    const publisher = new EventPublisher();
    publisher.declare('E_X');
    const service = new EventService({ logger, socketTimeoutMs: 100, publisher, failureLimit: 3 });
    try {
      const socket = `unix:${join(dir, 'nobody.sock')}`;
      service.subscribe({
        event: 'E_X',
        socket,
        expire: 60,
        format: 'json',
        target: { kind: 'unix', path: join(dir, 'nobody.sock') },
      });
      for (let i = 0; i < 3; i++) expect(service.raise('E_X', [])).toBe('raised');
      await waitFor(() => service.stats().failingDropped === 1, 5000, 'the drop');
      expect(service.subscribers('E_X')).toEqual([{ name: 'E_X', id: 0, subscribers: [] }]);
      expect(service.stats().dropped).toBeGreaterThanOrEqual(3);
      expect(publisher.hasSubscribers('E_X')).toBe(false);
      expect(lines.some((l) => l.includes('subscriber dropped'))).toBe(true);
    } finally {
      await service.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
