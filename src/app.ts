import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Registry } from 'prom-client';
import { type Agent, createAgent } from './agents/index.js';
import type { LoadedConfig } from './config/index.js';
import { secretValues } from './config/index.js';
import { EventBus } from './events/index.js';
import { createForge } from './forges/factory.js';
import type { Forge } from './forges/types.js';
import { createTaskSource } from './intake/source-from-config.js';
import type { FailureAttempt, TaskSource, TaskState } from './intake/types.js';
import {
  createResponseCache,
  failedAttempts,
  ModelRouter,
  ModelWarmUp,
  modelChain,
  queuedFirstModels,
  type ResponseCache,
  retryOptionsFrom,
  routerOptionsFrom,
} from './models/index.js';
import { DefaultModelSelector } from './models/selection/index.js';
import { failureHintsFrom, Notifier, resolveChannels } from './notifications/index.js';
import { attachEventLog } from './observability/event-log.js';
import { createMetrics, LogHub, logDirectory } from './observability/index.js';
import type { CompletionDeps } from './pipeline/completion.js';
import { FollowUps } from './pipeline/follow-up.js';
import { TaskProcessor } from './pipeline/processor.js';
import type { RecoveryDeps } from './pipeline/recovery.js';
import { SimpleAttemptRunner } from './pipeline/simple-runner.js';
import { createTargetResolver, remoteFromConfig } from './pipeline/target.js';
import type { AttemptRunner, PipelineDeps } from './pipeline/types.js';
import { Worker } from './pipeline/worker.js';
import { QueueSet } from './queue/index.js';
import { CodeReviewer } from './review/index.js';
import { createProjectSandbox, type ProcessSandbox } from './sandbox/index.js';
import { redact } from './secrets/index.js';
import { createStats, packageVersion, registerStatsGauges, type StatsService } from './stats/index.js';
import { SqliteStore, type Store } from './store/index.js';
import { ensurePerTaskRepo, gitTopLevel, Workspace } from './workspace/index.js';

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
  close(): Promise<void>;
}

/** The composition root: the one place where configuration becomes connected parts. */
export async function createApp(loaded: LoadedConfig, options: AppOptions = {}): Promise<App> {
  const { config, baseDir, env } = loaded;
  const startedAt = Date.now();
  const abs = (p: string) => path.resolve(baseDir, p);
  // Channels read their env:NAME values here: a missing variable stops the start (CONFIG_INVALID),
  // and what they read (webhook secrets, SMTP passwords, Slack URLs) is redacted like any token.
  const notifying =
    config.notifications.enabled && config.notifications.channels.length > 0
      ? resolveChannels(config.notifications, env)
      : undefined;
  const secrets = [...new Set([...secretValues(loaded.secrets), ...(notifying?.secrets ?? [])])].sort(
    (a, b) => b.length - a.length,
  );
  const folders = {
    todo: abs(config.folders.todo),
    doing: abs(config.folders.doing),
    review: abs(config.folders.review),
    failed: abs(config.folders.failed),
    completed: abs(config.folders.completed),
    repos: abs(config.folders.repos),
  };
  const events = new EventBus();
  const logs = new LogHub({
    ...config.logging,
    directory: logDirectory(baseDir, config.logging.directory),
    secrets,
    extra: options.logSink,
  });
  const promptDir = path.join(folders.repos, 'prompts');
  // Confinement of agents, run_command and verify commands. Throws CONFIG_INVALID when
  // sandbox.mode is "bwrap" and bubblewrap cannot run; warns when none is in force.
  const sandbox = createProjectSandbox(loaded, promptDir);
  if (sandbox.warning) logs.get('processor').warn({ sandbox: sandbox.mode }, sandbox.warning);
  const store = new SqliteStore(abs(config.store.path));
  attachEventLog(events, logs, store);

  const source = await createTaskSource({ config, baseDir, folders, store });
  await mkdir(folders.repos, { recursive: true });

  const configured = config.repository.url ? remoteFromConfig(config.repository.url, baseDir) : undefined;
  const target = config.repository.perTaskRepo
    ? undefined
    : (configured ?? (await gitTopLevel(baseDir, env)));
  const author = { name: config.git.userName, email: config.git.userEmail };
  const forge = createForge({
    config,
    secrets: loaded.secrets,
    store,
    remote: target ?? folders.repos,
    author,
  });
  const gitLog = logs.get('git');
  const workspace = new Workspace({
    reposDir: folders.repos,
    author,
    signCommits: config.git.signCommits,
    pushRetries: config.git.pushRetries,
    pushRetryDelayMs: config.git.pushRetryDelay,
    secrets,
    env,
    // info, as the original's git.log: redacted again here, though the hub scrubs every line.
    log: (l) =>
      gitLog.info(
        { args: l.args.map((a) => redact(a, secrets)), durationMs: l.durationMs, ok: l.ok },
        `git ${l.args[0]}`,
      ),
  });
  const targetFor = createTargetResolver({
    baseDir,
    // The local forge's default target may be implicit (the repository holding the project).
    configuredUrl: config.forge.type === 'local' ? target : configured,
    allowed: config.repository.allowed,
    baseBranch: config.repository.baseBranch,
    allowedBaseBranches: config.repository.allowedBaseBranches,
    forge,
    defaultRemote: async (task, baseBranch) => {
      if (config.forge.type !== 'local') return forge.remoteUrl();
      return target ?? ensurePerTaskRepo(folders.repos, task.id, baseBranch, env);
    },
  });
  const agent = options.agent ?? createAgent(config, env, logs.get('processor'), sandbox);
  const onAttemptFailed = (a: FailureAttempt & { taskId: string }) =>
    events.emit('attempt.failed', {
      taskId: a.taskId,
      attemptNumber: a.attemptNumber,
      model: a.model,
      code: a.code,
      retryable: a.errorType === 'transient',
      error: a.error,
      durationMs: a.durationMs,
    });
  const retry = retryOptionsFrom(config);
  // Created after the router, which forwards breaker events to it.
  let warmUp: ModelWarmUp | undefined;
  // A command agent may not talk to Ollama at all, so it gets plain retry and fallback; every
  // other agent goes through the router (host health, breakers, waiting out outages).
  // The code review talks to Ollama whatever the agent is: it needs the router too.
  const commandOnly = config.agent.type === 'command' && !options.agent;
  const router =
    commandOnly && !config.codeReview.enabled
      ? undefined
      : new ModelRouter({
          ...routerOptionsFrom(config),
          onEvent: (e) => {
            // On the bus, the event log writes it (same message) and the metrics count it.
            events.emitTagged(e);
            warmUp?.handleEvent(e);
          },
          onAttempt: (a, taskId) => {
            const [failed] = failedAttempts([a]);
            if (failed && taskId) onAttemptFailed({ ...failed, taskId });
          },
        });
  if (router) {
    const { enabled, maxModels, keepAlive } = config.performance.warmUp;
    const warmLog = logs.get('processor');
    warmUp = new ModelWarmUp({
      enabled,
      maxModels,
      keepAlive,
      hosts: () => router.hostClients(),
      // The chain the task will run with: the selector's when there is one (deps is built below;
      // this runs only after createApp returned).
      neededModels: () =>
        queuedFirstModels(
          source,
          (task) => deps.selector?.choose(task).chain ?? modelChain(task, config.ollama),
        ),
      defaultModel: config.ollama.defaultModel,
      onWarmed: (e) => events.emit('model.warmed', e),
      onError: (err) => warmLog.warn({ err }, 'model warm-up failed'),
    });
  }
  const responseCache = createResponseCache({ store, events, ...config.performance.cache });
  const runner =
    options.runner ??
    (options.agent || commandOnly ? undefined : router) ??
    new SimpleAttemptRunner({ host: config.ollama.host, retry, onAttemptFailed });
  const completion: CompletionDeps = { source, store, events, secrets };
  const deps: PipelineDeps = {
    config,
    ...completion,
    workspace,
    forge,
    agent,
    runner,
    logger: logs.get('processor'),
    targetFor,
    promptDir,
    sandbox,
    env,
    // Without a router (command agents) `speed` and `auto` have no host health and order by timings only.
    selector: new DefaultModelSelector({ config, store, hosts: router }),
    reviewer:
      config.codeReview.enabled && router
        ? new CodeReviewer({
            router,
            config,
            secrets,
            maxNumCtx: 32_768,
            // Reviews are deterministic (temperature 0, fixed seed): a repeat is served from the store.
            chat: (client, request) => responseCache.chat(client, request, 'review'),
          })
        : undefined,
  };
  const processor = new TaskProcessor(deps);
  const shutdown = new AbortController();
  const worker = new Worker(
    {
      source,
      store,
      queues: QueueSet.fromConfig(config.processing),
      dispatcher: processor,
      events,
      logger: logs.get('watcher'),
    },
    {
      watchDebounceMs: config.processing.watchDebounce,
      stabilityPollMs: config.processing.stabilityPollMs,
      secrets,
    },
  );
  const followUps = new FollowUps(deps, shutdown.signal);
  const stats = createStats({
    store,
    events,
    source,
    worker,
    router,
    version: packageVersion(),
    startedAt,
    trendDays: config.monitoring.trendDays,
    secrets,
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
      logger: logs.get('processor'),
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
    router,
    warmUp,
    responseCache,
    sandbox,
    completion,
    recovery: { ...completion, maxRetries: config.recovery.maxRetries },
    metrics,
    stats,
    notifier,
    startFollowUp: (...args) => followUps.start(...args),
    followUpsIdle: () => followUps.idle(),
    async close() {
      shutdown.abort();
      await followUps.idle();
      await worker.stop();
      await warmUp?.stop();
      await router?.stop();
      // After the worker (its last events are sent), before the store (deliveries record there).
      await notifier?.close();
      stats.stop();
      store.close();
      await logs.close();
    },
  };
}
