/**
 * A key → value store that every process of the server sees, for command
 * handlers (`request.shared`). With `children_count` 1 it lives in the
 * server's process; with more, in the primary of the pool, and the workers
 * reach it over the pool's IPC channel (pool-worker.ts): whichever worker
 * gets a request, it sees the same data. The example module's `local`
 * cache (cache_store / cache_fetch / cache_remove) keeps its data here.
 *
 * Bounded: at most {@link SHARED_STORE_MAX_KEYS} keys and
 * {@link SHARED_STORE_MAX_BYTES} bytes of keys and values (UTF-16 units
 * counted as bytes are an upper bound of no concern here: the limit is a
 * guard, not an accounting); a `set` beyond them fails with
 * {@link SharedStoreError} `FULL`.
 */

/** What handlers use. Every operation is asynchronous (it may cross processes). */
export interface MiSharedStore {
  /** The value of `key`, or `undefined` (absent or expired). */
  get(key: string): Promise<string | undefined>;
  /** Stores `value` under `key`; `ttlSeconds` > 0 makes it expire after that long. */
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  /** Removes `key`; true when it was there. */
  delete(key: string): Promise<boolean>;
}

export const SHARED_STORE_MAX_KEYS = 100_000;
export const SHARED_STORE_MAX_BYTES = 64 * 1024 * 1024;

export type SharedStoreErrorCode = 'FULL' | 'BAD_REQUEST' | 'UNAVAILABLE';

export class SharedStoreError extends Error {
  readonly code: SharedStoreErrorCode;
  constructor(code: SharedStoreErrorCode, message: string) {
    super(message);
    this.name = 'SharedStoreError';
    this.code = code;
  }
}

interface Entry {
  readonly value: string;
  /** `Date.now()` after which the entry is gone; 0 = never. */
  readonly expires: number;
}

/** The store of one process (what the primary of a pool holds for everyone). */
export class LocalSharedStore implements MiSharedStore {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  #bytes = 0;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  get size(): number {
    return this.#entries.size;
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expires !== 0 && entry.expires <= this.#now()) {
      this.#remove(key, entry);
      return undefined;
    }
    return entry;
  }

  #remove(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#bytes -= key.length + entry.value.length;
  }

  getSync(key: string): string | undefined {
    return this.#live(key)?.value;
  }

  setSync(key: string, value: string, ttlSeconds = 0): void {
    if (!Number.isFinite(ttlSeconds) || ttlSeconds < 0) {
      throw new SharedStoreError('BAD_REQUEST', 'ttlSeconds must be a non-negative number');
    }
    const old = this.#live(key);
    const added =
      key.length + value.length - (old === undefined ? 0 : key.length + old.value.length);
    if (old === undefined && this.#entries.size >= SHARED_STORE_MAX_KEYS) {
      throw new SharedStoreError('FULL', `the shared store holds ${SHARED_STORE_MAX_KEYS} keys`);
    }
    if (this.#bytes + added > SHARED_STORE_MAX_BYTES) {
      throw new SharedStoreError('FULL', `the shared store holds ${SHARED_STORE_MAX_BYTES} bytes`);
    }
    this.#entries.set(key, {
      value,
      expires: ttlSeconds > 0 ? this.#now() + ttlSeconds * 1000 : 0,
    });
    this.#bytes += added;
  }

  deleteSync(key: string): boolean {
    const entry = this.#live(key);
    if (entry === undefined) return false;
    this.#remove(key, entry);
    return true;
  }

  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.getSync(key));
  }

  async set(key: string, value: string, ttlSeconds?: number): Promise<void> {
    this.setSync(key, value, ttlSeconds);
  }

  delete(key: string): Promise<boolean> {
    return Promise.resolve(this.deleteSync(key));
  }
}

// ---------------------------------------------------------------------------
// The IPC vocabulary between a worker and the primary that holds the store

/** `op` of a store request on the pool's IPC channel. */
export const SHARED_STORE_OP = 'mi-datagram/shared-store';

export type SharedStoreRequest =
  | { readonly op: typeof SHARED_STORE_OP; readonly action: 'get'; readonly key: string }
  | {
      readonly op: typeof SHARED_STORE_OP;
      readonly action: 'set';
      readonly key: string;
      readonly value: string;
      readonly ttl: number;
    }
  | { readonly op: typeof SHARED_STORE_OP; readonly action: 'delete'; readonly key: string };

/** The answer to a store request (JSON data). */
export type SharedStoreAnswer =
  | { readonly ok: true; readonly value?: string; readonly removed?: boolean }
  | { readonly ok: false; readonly code: SharedStoreErrorCode; readonly message: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The store request in an IPC payload, or `null` when the payload is none. */
export function parseSharedStoreRequest(payload: unknown): SharedStoreRequest | null {
  if (!isRecord(payload) || payload.op !== SHARED_STORE_OP || typeof payload.key !== 'string') {
    return null;
  }
  const key = payload.key;
  switch (payload.action) {
    case 'get':
    case 'delete':
      return { op: SHARED_STORE_OP, action: payload.action, key };
    case 'set':
      if (typeof payload.value !== 'string' || typeof payload.ttl !== 'number') return null;
      return { op: SHARED_STORE_OP, action: 'set', key, value: payload.value, ttl: payload.ttl };
    default:
      return null;
  }
}

/** Runs a store request on the primary's store; never throws. */
export function answerSharedStoreRequest(
  store: LocalSharedStore,
  request: SharedStoreRequest,
): SharedStoreAnswer {
  try {
    switch (request.action) {
      case 'get': {
        const value = store.getSync(request.key);
        return value === undefined ? { ok: true } : { ok: true, value };
      }
      case 'set':
        store.setSync(request.key, request.value, request.ttl);
        return { ok: true };
      case 'delete':
        return { ok: true, removed: store.deleteSync(request.key) };
    }
  } catch (error) {
    if (error instanceof SharedStoreError) {
      return { ok: false, code: error.code, message: error.message };
    }
    return { ok: false, code: 'BAD_REQUEST', message: String(error) };
  }
}

/**
 * The store of a worker process: each operation is one request to the
 * primary (`send`, the worker context's `request`).
 */
export class RemoteSharedStore implements MiSharedStore {
  readonly #send: (payload: SharedStoreRequest) => Promise<unknown>;

  constructor(send: (payload: SharedStoreRequest) => Promise<unknown>) {
    this.#send = send;
  }

  async #call(request: SharedStoreRequest): Promise<{ value?: unknown; removed?: unknown }> {
    let answer: unknown;
    try {
      answer = await this.#send(request);
    } catch (error) {
      throw new SharedStoreError(
        'UNAVAILABLE',
        `the primary did not answer: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (!isRecord(answer)) throw new SharedStoreError('UNAVAILABLE', 'bad answer from the primary');
    if (answer.ok !== true) {
      const code =
        answer.code === 'FULL' || answer.code === 'BAD_REQUEST' ? answer.code : 'UNAVAILABLE';
      throw new SharedStoreError(code, String(answer.message));
    }
    return answer;
  }

  async get(key: string): Promise<string | undefined> {
    const answer = await this.#call({ op: SHARED_STORE_OP, action: 'get', key });
    return typeof answer.value === 'string' ? answer.value : undefined;
  }

  async set(key: string, value: string, ttlSeconds = 0): Promise<void> {
    await this.#call({ op: SHARED_STORE_OP, action: 'set', key, value, ttl: ttlSeconds });
  }

  async delete(key: string): Promise<boolean> {
    const answer = await this.#call({ op: SHARED_STORE_OP, action: 'delete', key });
    return answer.removed === true;
  }
}
