import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Registry } from 'prom-client';
import type { Agent } from './agents/index.js';
import { createBaseParts, createRunParts, type RunParts, type RunPartsInput } from './app-run-parts.js';
import type { LoadedConfig } from './config/index.js';
import { resolveFolders, secretValues } from './config/index.js';
import { EventBus } from './events/index.js';
import type { Forge } from './forges/types.js';
import { createTaskSource } from './intake/source-from-config.js';
import type { TaskSource, TaskState } from './intake/types.js';
import type { ModelRouter, ModelWarmUp, ResponseCache } from './models/index.js';
import { DefaultModelSelector } from './models/selection/index.js';
import { failureHintsFrom, Notifier, resolveChannels } from './notifications/index.js';
import { attachEventLog } from './observability/event-log.js';
import { createMetrics, LogHub, logDirectory } from './observability/index.js';
import type { CompletionDeps } from './pipeline/completion.js';
import type { Dispatcher } from './pipeline/dispatch.js';
import { FollowUps } from './pipeline/follow-up.js';
import { TaskProcessor } from './pipeline/processor.js';
import type { RecoveryDeps } from './pipeline/recovery.js';
import type { AttemptRunner, PipelineDeps } from './pipeline/types.js';
import { Worker } from './pipeline/worker.js';
import { clusterViewFor } from './queue/bullmq/cluster-view.js';
import {
  admissionFor,
  assertCoordinatorConfig,
  type Coordinator,
  createCoordinatorBackend,
} from './queue/bullmq/index.js';
import { QueueSet } from './queue/index.js';
import type { ProcessSandbox } from './sandbox/index.js';
import { createStats, packageVersion, registerStatsGauges, type StatsService } from './stats/index.js';
import { SqliteStore, type Store } from './store/index.js';

export interface AppOptions {
  /** Replaces the configured agent (the demo's simulation, tests). */
  agent?: Agent;
  runner?: AttemptRunner;
  /** Extra log destination (the CLI passes stderr for warnings). */
  logSink?: { write(line: string): void };
}

export interface App {
  loaded: LoadedConfig;
  events: EventBus;
  store: Store;
  source: TaskSource;
  forge: Forge;
  worker: Worker;
  logs: LogHub;
  folders: Record<TaskState | 'repos', string>;
  /** Default target repository (undefined = a fresh repository per task). */
  target: string | undefined;
  secrets: string[];
  /** Ollama hosts, breakers and health (undefined for command agents). */
  router: ModelRouter | undefined;
  /** Preloads the queue's models (`performance.warmUp`); `start` triggers it. Undefined without a router. */
  warmUp: ModelWarmUp | undefined;
  /** Cache of deterministic model calls (`performance.cache`), for review and summaries. */
  responseCache: ResponseCache;
  /** How agents, run_command and verify commands are confined (`start` prints its warning). */
  sandbox: ProcessSandbox;
  /**
   * Starts a follow-up run on a task's PR (a reviewer's comment); runs in the background, one
   * at a time per task. Resolves false when the task is not in review.
   */
  startFollowUp(taskId: string, prNumber: number, instructions: string, author: string): Promise<boolean>;
  /** Settles when every follow-up run started so far has finished (tests, shutdown). */
  followUpsIdle(): Promise<void>;
  /** What completing, rejecting and failing a task need (webhooks, `pr merge`, the API): built once here. */
  completion: CompletionDeps;
  /** What `retry-failed` and `recovery.autoRetry` need, with `recovery.maxRetries`. */
  recovery: RecoveryDeps;
  /** Prometheus registry fed by the event bus (`/metrics`); counts from when the app was built. */
  metrics: Registry;
  /** The one stats module: `/api/stats`, the dashboard, `status --json` and the stats gauges of `metrics`. */
  stats: StatsService;
  /**
   * Sends notifications (`notifications.channels`) for the events of this process; undefined when
   * disabled or none are configured. `start` calls its `start()` (resend pending, daily digest).
   */
  notifier?: Notifier | undefined;
  /** The BullMQ side of a coordinator (`queue.backend: "bullmq"`): Redis, routing, live workers. */
  coordinator: Coordinator | undefined;
  close(): Promise<void>;
}

/** The composition root: the one place where configuration becomes connected parts. */
export async function createApp(loaded: LoadedConfig, options: AppOptions = {}): Promise<App> {
  const { config, baseDir, env } = loaded;
  assertCoordinatorConfig(config);
  const startedAt = Date.now();
  // Channels read their env:NAME values here: a missing variable stops the start (CONFIG_INVALID),
  // and what they read (webhook secrets, SMTP passwords, Slack URLs) is redacted like any token.
  const notifying =
    config.notifications.enabled && config.notifications.channels.length > 0
      ? resolveChannels(config.notifications, env)
      : undefined;
  const secrets = [...new Set([...secretValues(loaded.secrets), ...(notifying?.secrets ?? [])])].sort(
    (a, b) => b.length - a.length,
  );
  const folders = resolveFolders(config, baseDir);
  const events = new EventBus();
  const logs = new LogHub({
    ...config.logging,
    directory: logDirectory(baseDir, config.logging.directory),
    secrets,
    extra: options.logSink,
  });
  const store = new SqliteStore(path.resolve(baseDir, config.store.path));
  attachEventLog(events, logs, store);

  const source = await createTaskSource({ config, baseDir, folders, store });
  await mkdir(folders.repos, { recursive: true });

  const input: RunPartsInput = {
    store,
    events,
    logs,
    secrets,
    folders,
    source,
    agent: options.agent,
    runner: options.runner,
  };
  const bullmq = config.queue.backend === 'bullmq';
  const base = await createBaseParts(loaded, input).catch((err: unknown) => {
    store.close();
    throw err;
  });
  const { sandbox, target, forge, responseCache } = base;
  // A bullmq coordinator runs no stage: workers do. Its agent, router (host probes, model
  // clients), warm-up, reviewer and workspace are built on its first follow-up run, if any.
  let parts: RunParts | undefined = bullmq
    ? undefined
    : await createRunParts(loaded, input, base).catch((err: unknown) => {
        store.close();
        throw err;
      });
  const completion: CompletionDeps = { source, store, events, secrets };
  const logger = logs.get('processor');
  const pipelineDeps = (p: RunParts): PipelineDeps => ({
    config,
    ...completion,
    workspace: p.workspace,
    forge,
    agent: p.agent,
    runner: p.runner,
    logger,
    targetFor: p.targetFor,
    defaultTarget: p.targetFor.defaultTarget,
    promptDir: p.promptDir,
    sandbox,
    env,
    selector: p.selector,
    reviewer: p.reviewer,
  });
  const bull = bullmq
    ? createCoordinatorBackend(loaded, {
        store,
        source,
        events,
        secrets,
        // Without a router it orders `speed` and `auto` by timings only, as for command agents.
        selector: new DefaultModelSelector({ config, store, hosts: undefined }),
        logger,
        settle: { ...completion, forge, logger, autoMerge: config.webhook.autoMergePR },
      })
    : undefined;
  // Not bullmq: the run parts were built above, and tasks run in this process.
  const dispatcher: Dispatcher = bull?.dispatcher ?? new TaskProcessor(pipelineDeps(parts as RunParts));
  const shutdown = new AbortController();
  const worker = new Worker(
    {
      source,
      store,
      queues: QueueSet.fromConfig(config.processing, admissionFor(config)),
      dispatcher,
      events,
      logger: logs.get('watcher'),
    },
    {
      watchDebounceMs: config.processing.watchDebounce,
      stabilityPollMs: config.processing.stabilityPollMs,
      secrets,
    },
  );
  let followUps: Promise<FollowUps> | undefined;
  const followUpRunner = (): Promise<FollowUps> => {
    if (!followUps) {
      const building = (async () => {
        parts ??= await createRunParts(loaded, input, base);
        return new FollowUps(pipelineDeps(parts), shutdown.signal);
      })();
      // A failed build (bwrap gone, a bad agent setting) is tried again on the next comment.
      building.catch(() => {
        if (followUps === building) followUps = undefined;
      });
      followUps = building;
    }
    return followUps;
  };
  const stats = createStats({
    store,
    events,
    source,
    worker,
    router: parts?.router,
    version: packageVersion(),
    startedAt,
    trendDays: config.monitoring.trendDays,
    secrets,
    // bullmq: BullMQ's counts and the live workers for status, the dashboard and /metrics.
    cluster: clusterViewFor(config.queue, secrets),
  });
  const metrics = createMetrics(events, { counts: () => source.counts() });
  registerStatsGauges(metrics, stats);
  const notifier =
    notifying &&
    new Notifier({
      settings: config.notifications,
      channels: notifying.channels,
      events,
      store,
      secrets,
      logger,
      failureHints: failureHintsFrom(source),
    });
  return {
    loaded,
    events,
    store,
    source,
    forge,
    worker,
    logs,
    folders,
    target,
    secrets,
    router: parts?.router,
    warmUp: parts?.warmUp,
    responseCache,
    sandbox,
    completion,
    recovery: { ...completion, maxRetries: config.recovery.maxRetries },
    metrics,
    stats,
    notifier,
    coordinator: bull?.coordinator,
    startFollowUp: async (...args) => (await followUpRunner()).start(...args),
    followUpsIdle: async () => {
      await (await followUps?.catch(() => undefined))?.idle();
    },
    async close() {
      shutdown.abort();
      await (await followUps?.catch(() => undefined))?.idle();
      await worker.stop();
      await bull?.coordinator.stop();
      await parts?.warmUp?.stop();
      await parts?.router?.stop();
      // After the worker (its last events are sent), before the store (deliveries record there).
      await notifier?.close();
      await stats.close();
      // Background cleans of pooled worktrees log their git calls: let them end first.
      await parts?.workspace.close();
      store.close();
      await logs.close();
    },
  };
}
