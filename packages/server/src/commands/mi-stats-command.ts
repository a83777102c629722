/** The core `mi_stats` command over a statistics source. */
import { isThenable } from '../common/index.js';
import { type MiStatsSource, miStatsJson, miStatsNodes } from '../statistics/index.js';
import type { MiCommandDefinition, MiCommandResult } from './define.js';

/**
 * Where `mi_stats` reads its numbers: `() => server.stats()` in-process; in a
 * worker of a pool, a promise of the whole pool's (src/pool/pool-stats.ts).
 */
export type MiStatsProvider = () => MiStatsSource | PromiseLike<MiStatsSource>;

/** The `mi_stats` command (level `read`) over a statistics source (`() => server.stats()`). */
export function createStatsCommand(source: MiStatsProvider): MiCommandDefinition {
  return {
    name: 'mi_stats',
    help: 'prints request statistics: requests, replies by status class, refusals, drops, and per command calls and latency percentiles (µs)',
    noInput: true,
    level: 'read',
    handler: (): MiCommandResult | Promise<MiCommandResult> => {
      const s = source();
      if (!isThenable(s)) return { nodes: miStatsNodes(s), json: miStatsJson(s) };
      return Promise.resolve(s).then((all) => ({
        nodes: miStatsNodes(all),
        json: miStatsJson(all),
      }));
    },
  };
}
