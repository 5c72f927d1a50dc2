export { CLUSTER_READ_TIMEOUT_MS, type ClusterSource, clusterStats } from './cluster.js';
export { registerStatsGauges } from './prometheus.js';
export { createStats, DEFAULT_WINDOW_HOURS, type StatsDeps, type StatsModule } from './snapshot.js';
export type {
  ClusterStats,
  ClusterWorker,
  FailureStats,
  HostStats,
  ModelStats,
  RunningTask,
  StatsService,
  StatsSnapshot,
  TrendPoint,
  TrendRange,
} from './types.js';
export { packageVersion } from './version.js';
