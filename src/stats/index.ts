export type {
  FailureStats,
  HostStats,
  ModelStats,
  RunningTask,
  StatsService,
  StatsSnapshot,
  TrendPoint,
  TrendRange,
} from './types.js';
