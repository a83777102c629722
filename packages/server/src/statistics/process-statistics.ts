/**
 * The statistics of one server process: its built-in groups (`mi`,
 * `process`) and the process-wide registry that command modules and the
 * embedding program fill ({@link statistics}).
 */
import { type BuiltinStatistics, createBuiltinStatistics } from './builtin.js';
import { type StatisticsRegistry, statistics } from './registry.js';
import type { MiStatsSource } from './snapshot.js';
import { readStatistics, resetSelected, type StatisticValue } from './values.js';

export class ProcessStatisticsSet {
  readonly #builtin: BuiltinStatistics;
  readonly #registries: readonly StatisticsRegistry[];

  /**
   * `mi`: this process's request-path numbers (`() => server.stats()`),
   * called at query time only. `user`: default the process-wide registry.
   */
  constructor(mi: () => MiStatsSource, user: StatisticsRegistry = statistics) {
    this.#builtin = createBuiltinStatistics(mi);
    this.#registries = [this.#builtin.registry, user];
  }

  /** Every statistic of this process (built-in groups first). */
  values(): StatisticValue[] {
    return readStatistics(this.#registries);
  }

  /** Resets the counters the names select; how many statistics they selected. */
  reset(names: readonly string[] | 'all'): number {
    return resetSelected(this.#registries, names);
  }

  /** Stops the event-loop sampler. */
  close(): void {
    this.#builtin.close();
  }
}
