import { describe, expect, it } from 'vitest';
import {
  answerSharedStoreRequest,
  LocalSharedStore,
  parseSharedStoreRequest,
  RemoteSharedStore,
  SHARED_STORE_MAX_KEYS,
  SHARED_STORE_OP,
  SharedStoreError,
} from '../src/commands/shared-store.js';

describe('LocalSharedStore', () => {
  it('stores, fetches, expires and removes', async () => {
    let now = 1000;
    const store = new LocalSharedStore(() => now);
    await store.set('k', 'v');
    await store.set('t', 'x', 2);
    expect(await store.get('k')).toBe('v');
    expect(await store.get('t')).toBe('x');
    now += 2000;
    expect(await store.get('t')).toBeUndefined();
    expect(store.size).toBe(1);
    expect(await store.delete('k')).toBe(true);
    expect(await store.delete('k')).toBe(false);
    expect(await store.get('k')).toBeUndefined();
    await expect(store.set('k', 'v', -1)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('is bounded: a new key beyond the limit is refused, replacing one is not', () => {
    const store = new LocalSharedStore();
    for (let i = 0; i < SHARED_STORE_MAX_KEYS; i++) store.setSync(`k${i}`, '');
    expect(() => store.setSync('one-more', 'v')).toThrow(SharedStoreError);
    store.setSync('k1', 'replaced');
    expect(store.getSync('k1')).toBe('replaced');
  });
});

describe('the IPC vocabulary', () => {
  it('a remote store works through request/answer messages', async () => {
    const primary = new LocalSharedStore();
    const sent: unknown[] = [];
    const remote = new RemoteSharedStore(async (payload) => {
      // what crosses the IPC channel is JSON
      const wire = JSON.parse(JSON.stringify(payload)) as unknown;
      sent.push(wire);
      const request = parseSharedStoreRequest(wire);
      if (request === null) throw new Error('unknown request');
      return JSON.parse(JSON.stringify(answerSharedStoreRequest(primary, request)));
    });
    await remote.set('k', 'v', 0);
    expect(await remote.get('k')).toBe('v');
    expect(primary.getSync('k')).toBe('v');
    expect(await remote.delete('k')).toBe(true);
    expect(await remote.get('k')).toBeUndefined();
    expect(sent[0]).toEqual({ op: SHARED_STORE_OP, action: 'set', key: 'k', value: 'v', ttl: 0 });
  });

  it('refuses other payloads; failures become SharedStoreError', async () => {
    expect(parseSharedStoreRequest({ op: 'other', action: 'get', key: 'k' })).toBeNull();
    expect(parseSharedStoreRequest({ op: SHARED_STORE_OP, action: 'set', key: 'k' })).toBeNull();
    expect(parseSharedStoreRequest({ op: SHARED_STORE_OP, action: 'drop', key: 'k' })).toBeNull();
    expect(parseSharedStoreRequest(null)).toBeNull();
    const down = new RemoteSharedStore(() => Promise.reject(new Error('timeout')));
    await expect(down.get('k')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    const full = new RemoteSharedStore(async () => ({ ok: false, code: 'FULL', message: 'full' }));
    await expect(full.set('k', 'v')).rejects.toMatchObject({ code: 'FULL' });
  });
});
