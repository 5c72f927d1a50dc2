import type { ErrorCode } from '../errors/index.js';
import type { PipelineStage } from '../events/index.js';
import type { QueueCounts } from '../queue/bullmq/cluster-view.js';
import type { QueueStats } from '../queue/index.js';

/*
 * One stats module feeds the dashboard, `GET /api/stats`, `status --json` and the Prometheus
 * gauges, so the numbers a user compares always agree. The shape extends the original tool's
 * example (`system`, `processing`, `models`) with queues, hosts, review findings, what runs now
 * and what failed.
 */

/** Per model, over the stats window: attempts (one model call chain step each), outcomes, time, tokens. */
export interface ModelStats {
  attempts: number;
  successes: number;
  failures: number;
  /** successes / attempts, 0 when there were none. */
  successRate: number;
  /** Percentiles of the attempt durations in milliseconds (all attempts of the model). */
  p50Ms: number | undefined;
  p95Ms: number | undefined;
  /** Tokens (prompt + completion) the model used, where the agent reported them. */
  tokens: number;
}

/** An Ollama host as the router sees it now. */
export interface HostStats {
  url: string;
  /** Breaker state: CLOSED (healthy), OPEN (skipped), HALF_OPEN (on trial). */
  state: 'CLOSED' | 'OPEN' | 'HALF_OPEN';
  healthy: boolean;
  latencyMs: number | undefined;
  lastError: string | undefined;
  models: string[];
}

/** A task being worked on now, from the live events (stage changes). */
export interface RunningTask {
  taskId: string;
  file: string | undefined;
  stage: PipelineStage | undefined;
  /** Milliseconds since the worker claimed it. */
  elapsedMs: number;
  model: string | undefined;
  attempt: number | undefined;
}

/** A task in failed/ that needs a person: why, what to do, and whether a retry may help. */
export interface FailureStats {
  taskId: string;
  file: string;
  code: ErrorCode | string;
  reason: string;
  hint: string | undefined;
  retryable: boolean;
  retryCount: number;
  failedAt: string;
}

/** A `ticket-processor worker` as its last heartbeat in Redis describes it. */
export interface ClusterWorker {
  name: string;
  hostname: string;
  pid: number;
  /** Canonical models it serves (`*`: command agents). */
  models: string[];
  /** Ollama hosts it uses. */
  hosts: string[];
  concurrency: number;
  /** Jobs it runs now. */
  active: number;
  /** Jobs it finished since it started. */
  processed: number;
  version: string;
  startedAt: string;
  lastSeen: string;
  /** Milliseconds since its last heartbeat (a live worker beats every 5 s; gone after 30 s). */
  lastSeenAgoMs: number;
}

/** The distributed mode (`queue.backend: bullmq`) as Redis shows it. */
export interface ClusterStats {
  backend: 'bullmq';
  /**
   * Tasks the coordinator holds back before they become jobs (its queues' concurrency, the
   * per-repository limit, dependencies): the `waiting` of `queues` above, summed.
   */
  coordinatorHeld: number;
  /** BullMQ's counts per model queue. */
  queues: QueueCounts[];
  workers: ClusterWorker[];
  /**
   * Models whose queue has waiting jobs while no live worker serves them: those jobs wait until
   * such a worker starts (`worker --models`).
   */
  unserved: string[];
  /** Why the counts are missing (Redis did not answer); absent when they are there. */
  error?: string;
}

/** What `GET /api/stats` returns. Times in seconds where the original's example used seconds. */
export interface StatsSnapshot {
  system: {
    /** Seconds since this process started. */
    uptime: number;
    /** At least one Ollama host takes calls (true without a router: nothing to be unhealthy). */
    ollamaHealthy: boolean;
    /** Tasks waiting in todo/ (all queues). */
    queueDepth: number;
    version: string;
    generatedAt: string;
  };
  processing: {
    /** Tasks finished in the window: successful + failed. */
    total: number;
    /** Tasks that reached review/ or completed/. */
    successful: number;
    failed: number;
    successRate: number;
    /** Mean seconds from claim to review/ of the successful tasks. */
    avgProcessingTime: number;
    /** Tasks per folder now. */
    folders: Record<'todo' | 'doing' | 'review' | 'failed' | 'completed', number>;
    /** The window these numbers cover, in hours. */
    windowHours: number;
  };
  /** Keyed by canonical model name. */
  models: Record<string, ModelStats>;
  queues: QueueStats[];
  hosts: HostStats[];
  review: {
    reviews: number;
    unavailable: number;
    findings: Record<'critical' | 'major' | 'minor' | 'info', number>;
  };
  running: RunningTask[];
  failures: FailureStats[];
  notifications: { sent: number; failed: number; pending: number };
  /** Present only under `queue.backend: bullmq`: the queues and workers in Redis. */
  cluster?: ClusterStats;
}

/** One bucket of a trend series. */
export interface TrendPoint {
  /** Bucket start, epoch milliseconds. */
  t: number;
  done: number;
  failed: number;
  /** Mean seconds from claim to review of the tasks done in the bucket; 0 when none. */
  meanSeconds: number;
}

export type TrendRange = '24h' | '7d';

/** The stats module's face. Cheap enough to call per request; the dashboard polls nothing else. */
export interface StatsService {
  snapshot(): Promise<StatsSnapshot>;
  /** Hourly buckets for `24h`, 6-hour buckets for `7d`, oldest first, gaps filled with zeros. */
  trends(range: TrendRange): Promise<TrendPoint[]>;
}
