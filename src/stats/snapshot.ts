import type { EventBus } from '../events/index.js';
import type { TaskSource } from '../intake/types.js';
import type { HostHealth } from '../models/index.js';
import type { QueueStats } from '../queue/index.js';
import type { Store } from '../store/index.js';
import { type ClusterSource, clusterStats } from './cluster.js';
import { LiveRuns } from './live.js';
import { modelStats } from './models.js';
import { failureStats, processingStats } from './processing.js';
import { trendPoints } from './trends.js';
import type { HostStats, StatsService, StatsSnapshot } from './types.js';

/** The default stats window of `processing`, `models` and `review`: the last 24 hours. */
export const DEFAULT_WINDOW_HOURS = 24;

/** What the stats module reads. Everything is read when asked; only the running tasks are kept. */
export interface StatsDeps {
  store: Pick<Store, 'attemptStats' | 'modelTokens' | 'auditEvents' | 'reviewTotals' | 'notificationCounts'>;
  events: EventBus;
  source: Pick<TaskSource, 'counts' | 'listFailed'>;
  worker: { queueStats(): QueueStats[]; processing(): string[] };
  /** Ollama hosts and breakers; without one (command agents) there is nothing to be unhealthy. */
  router?: { healthReport(): HostHealth[] } | undefined;
  version: string;
  /** Epoch ms this process started (uptime). */
  startedAt: number;
  /** Epoch ms now; injectable for tests. */
  clock?: () => number;
  /** `monitoring.trendDays`: how far back trends may go. */
  trendDays: number;
  /** Hours covered by `processing`, `models` and `review`; default 24. */
  windowHours?: number;
  /** Redacted from failure reasons and hints. */
  secrets?: readonly string[];
  /**
   * The queues and workers in Redis under `queue.backend: bullmq` (a `ClusterView`); without
   * one (the memory backend) the snapshot has no `cluster` part.
   */
  cluster?: (ClusterSource & { close?(): Promise<void> }) | undefined;
}

/**
 * The stats service plus `stop()`, which detaches its event listeners, and `close()`, which
 * also closes the cluster view it was given (its Redis connection).
 */
export type StatsModule = StatsService & { stop(): void; close(): Promise<void> };

function hostStats(h: HostHealth): HostStats {
  return {
    url: h.url,
    state: h.state,
    healthy: h.healthy ?? h.state !== 'OPEN',
    latencyMs: h.latencyMs,
    lastError: h.lastError,
    models: h.models ?? [],
  };
}

/**
 * The one stats module: `/api/stats`, the dashboard, `status --json` and the Prometheus
 * gauges all read this, so their numbers agree. `processing`, `models` and `review` cover the
 * last `windowHours` (default 24 h) from the store; `running` comes from the live events.
 */
export function createStats(deps: StatsDeps): StatsModule {
  const clock = deps.clock ?? Date.now;
  const windowHours = deps.windowHours ?? DEFAULT_WINDOW_HOURS;
  const live = new LiveRuns(deps.events, clock);
  return {
    async snapshot(): Promise<StatsSnapshot> {
      const now = clock();
      const since = now - windowHours * 3_600_000;
      const queues = deps.worker.queueStats();
      const held = queues.reduce((sum, q) => sum + q.waiting, 0);
      const [folders, failures, cluster] = await Promise.all([
        deps.source.counts(),
        failureStats(deps.source, deps.secrets ?? []),
        deps.cluster ? clusterStats(deps.cluster, held, now, { secrets: deps.secrets ?? [] }) : undefined,
      ]);
      const hosts = (deps.router?.healthReport() ?? []).map(hostStats);
      return {
        system: {
          uptime: Math.max(0, Math.round((now - deps.startedAt) / 1000)),
          ollamaHealthy: !deps.router || hosts.some((h) => h.state !== 'OPEN'),
          queueDepth: folders.todo,
          version: deps.version,
          generatedAt: new Date(now).toISOString(),
        },
        processing: { ...processingStats(deps.store, since), folders, windowHours },
        models: modelStats(deps.store, since),
        queues,
        hosts,
        review: deps.store.reviewTotals(new Date(since).toISOString()),
        running: live.list(deps.worker.processing()),
        failures,
        // All deliveries kept (not windowed): failed ones stay until someone looks.
        notifications: deps.store.notificationCounts(),
        ...(cluster ? { cluster } : {}),
      };
    },
    async trends(range) {
      return trendPoints(deps.store, range, clock(), deps.trendDays);
    },
    stop: () => live.stop(),
    async close() {
      live.stop();
      await deps.cluster?.close?.();
    },
  };
}
