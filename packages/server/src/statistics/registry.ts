/**
 * The statistics API: counters (incremental, resettable) and gauges
 * (non-incremental: a value set by the program, or a function read at query
 * time) in named groups, as `get_statistics` names them (`group:name`).
 *
 * A statistic is registered once (at module load, not per request) and then
 * updated through the object it returned: `counter.inc()` is one property
 * increment, nothing is allocated.
 */
import { ConfigError } from '../common/index.js';

/** `incremental` (a counter) or `non-incremental` (a gauge), as `list_statistics` says it. */
export type StatisticKind = 'counter' | 'gauge';

/**
 * How a gauge of several worker processes becomes one number (counters are
 * always summed): `sum` (memory, queue lengths), `max` (uptime), `avg` (a
 * utilisation). Every process's own value is also listed (`NAME-proc-ID`).
 */
export type GaugeMerge = 'sum' | 'max' | 'avg';

/** A counter: only grows, until `reset_statistics`. */
export class Counter {
  value = 0;

  /** Adds `n` (default 1). */
  inc(n = 1): void {
    this.value += n;
  }

  reset(): void {
    this.value = 0;
  }
}

/** A gauge: a value that goes up and down (set by the program). */
export class Gauge {
  value = 0;

  set(value: number): void {
    this.value = value;
  }

  inc(n = 1): void {
    this.value += n;
  }

  dec(n = 1): void {
    this.value -= n;
  }
}

export interface StatisticOptions {
  /** One line: what it counts (shown by the metrics endpoint's `# HELP`). */
  readonly help?: string;
}

export interface GaugeOptions extends StatisticOptions {
  /** Read at query time instead of the gauge's own value. */
  readonly read?: () => number;
  /** Default `sum`. */
  readonly merge?: GaugeMerge;
}

/** One registered statistic as the commands see it. */
export interface StatisticEntry {
  readonly group: string;
  readonly name: string;
  readonly kind: StatisticKind;
  readonly help: string;
  readonly merge: GaugeMerge;
  read(): number;
  /** Counters only (a gauge is not reset). */
  reset(): void;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

function checkName(what: string, value: string): void {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new ConfigError(
      'INVALID_STATISTIC',
      'statistics',
      `invalid statistic ${what} ${JSON.stringify(value)}: letters, digits, '_', '.', '-' only, not starting with '.' or '-'`,
    );
  }
}

function readGauge(gauge: Gauge, read: (() => number) | undefined): () => number {
  if (read === undefined) return () => gauge.value;
  return () => {
    try {
      const v = read();
      return typeof v === 'number' && Number.isFinite(v) ? v : 0;
    } catch {
      // A throwing reader never fails a statistics query.
      return 0;
    }
  };
}

/** Named groups of counters and gauges, in registration order. */
export class StatisticsRegistry {
  readonly #entries = new Map<string, StatisticEntry & { readonly handle: Counter | Gauge }>();

  /**
   * Registers (or returns the already registered) counter `group:name`.
   * Throws `ConfigError` `INVALID_STATISTIC` for a bad name or a name taken by a gauge.
   */
  counter(group: string, name: string, options: StatisticOptions = {}): Counter {
    const existing = this.#existing(group, name, 'counter');
    if (existing !== null) return existing as Counter;
    const counter = new Counter();
    this.#entries.set(`${group}:${name}`, {
      group,
      name,
      kind: 'counter',
      help: options.help ?? '',
      merge: 'sum',
      handle: counter,
      read: () => counter.value,
      reset: () => counter.reset(),
    });
    return counter;
  }

  /** Registers (or returns the already registered) gauge `group:name`. */
  gauge(group: string, name: string, options: GaugeOptions = {}): Gauge {
    const existing = this.#existing(group, name, 'gauge');
    if (existing !== null) return existing as Gauge;
    const gauge = new Gauge();
    this.#entries.set(`${group}:${name}`, {
      group,
      name,
      kind: 'gauge',
      help: options.help ?? '',
      merge: options.merge ?? 'sum',
      handle: gauge,
      read: readGauge(gauge, options.read),
      reset: () => {},
    });
    return gauge;
  }

  /**
   * Registers a counter whose value another object keeps (`read`), reset by
   * remembering the value at the reset (the server's own pipeline counters).
   */
  derivedCounter(group: string, name: string, read: () => number, help = ''): void {
    this.#existing(group, name, 'counter');
    let base = 0;
    this.#entries.set(`${group}:${name}`, {
      group,
      name,
      kind: 'counter',
      help,
      merge: 'sum',
      handle: new Counter(),
      read: () => read() - base,
      reset: () => {
        base = read();
      },
    });
  }

  /** Every statistic, in registration order. */
  entries(): IterableIterator<StatisticEntry> {
    return this.#entries.values();
  }

  has(group: string, name: string): boolean {
    return this.#entries.has(`${group}:${name}`);
  }

  #existing(group: string, name: string, kind: StatisticKind): Counter | Gauge | null {
    checkName('group', group);
    checkName('name', name);
    const entry = this.#entries.get(`${group}:${name}`);
    if (entry === undefined) return null;
    if (entry.kind !== kind) {
      throw new ConfigError(
        'INVALID_STATISTIC',
        'statistics',
        `statistic ${group}:${name} is already registered as a ${entry.kind}`,
      );
    }
    return entry.handle;
  }
}

const GLOBAL_KEY = Symbol.for('mi-datagram.statistics');

/**
 * The process's registry for command modules and embedding programs (one
 * per process even when a module resolves its own copy of this package).
 */
export const statistics: StatisticsRegistry = (() => {
  const holder = globalThis as { [GLOBAL_KEY]?: StatisticsRegistry };
  const existing = holder[GLOBAL_KEY];
  if (existing !== undefined && typeof existing.counter === 'function') return existing;
  const created = new StatisticsRegistry();
  holder[GLOBAL_KEY] = created;
  return created;
})();
