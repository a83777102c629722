/**
 * Statistics of the request path: latency histograms, reply classes, the
 * mergeable snapshots of a pool, and the `mi_stats` reply.
 */

export {
  type BuiltinStatistics,
  createBuiltinStatistics,
  PROCESS_SAMPLE_MS,
} from './builtin.js';
export {
  bucketUpperBound,
  type CommandStats,
  LatencyHistogram,
  latencyBucket,
} from './histogram.js';
export { PipelineMetrics, type ReplyClasses } from './metrics.js';
export { METRICS_CONTENT_TYPE, renderMetrics } from './metrics-text.js';
export { miStatsJson, miStatsNodes } from './mi-stats.js';
export { ProcessStatisticsSet } from './process-statistics.js';
export {
  Counter,
  Gauge,
  type GaugeMerge,
  type GaugeOptions,
  type StatisticEntry,
  type StatisticKind,
  type StatisticOptions,
  StatisticsRegistry,
  statistics,
} from './registry.js';
export {
  type CommandHistogramSnapshot,
  type ListenerSnapshot,
  type ListenerStats,
  type MiStatsCounters,
  type MiStatsSnapshot,
  type MiStatsSource,
  mergeStatsSnapshots,
  parseHistogramSnapshots,
  parseStatsSnapshot,
  statsSnapshot,
} from './snapshot.js';
export {
  matchesName,
  mergeStatistics,
  type ProcessStatistics,
  parseStatisticValues,
  readStatistics,
  registryEntries,
  resetSelected,
  type StatisticValue,
  selectStatistics,
  statisticName,
} from './values.js';
