/**
 * Statistics of the request path: latency histograms, reply classes, the
 * mergeable snapshots of a pool, and the `mi_stats` reply.
 */
export {
  bucketUpperBound,
  type CommandStats,
  LatencyHistogram,
  latencyBucket,
} from './histogram.js';
export { PipelineMetrics, type ReplyClasses } from './metrics.js';
export { miStatsJson, miStatsNodes } from './mi-stats.js';
export {
  type CommandHistogramSnapshot,
  type ListenerSnapshot,
  type ListenerStats,
  type MiStatsCounters,
  type MiStatsSnapshot,
  type MiStatsSource,
  mergeStatsSnapshots,
  parseStatsSnapshot,
  statsSnapshot,
} from './snapshot.js';
