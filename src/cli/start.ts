import type { Registry } from 'prom-client';
import { type App, createApp } from '../app.js';
import { TpError } from '../errors/index.js';
import type { ModelRouter } from '../models/index.js';
import { createMetrics } from '../observability/index.js';
import { handleForgeEvent } from '../pipeline/forge-events.js';
import { scheduleRecovery } from '../pipeline/recovery.js';
import { createServer, type OllamaHealthReport, type TpServer } from '../server/index.js';
import { parseNewTaskInputs } from '../tasks/index.js';
import { type CliIo, type GlobalOptions, load } from './context.js';
import { attachProgress, useColour } from './progress.js';
import { writeNewTask } from './task-files.js';

export interface StartOptions extends GlobalOptions {
  once?: boolean;
  port?: string;
  server?: boolean;
}

function ollamaHealth(router: ModelRouter): OllamaHealthReport {
  const hosts = router.healthReport();
  const up = hosts.filter((h) => h.state !== 'OPEN').length;
  const waiting = router.waitingReason();
  return {
    status: up === hosts.length ? 'ok' : up > 0 ? 'degraded' : 'down',
    hosts,
    ...(waiting ? { waiting } : {}),
  };
}

/**
 * `start`: reconcile, then watch and process. `--once` drains what is queued and exits 0 when
 * every task reached review/ (or completed/), 1 otherwise.
 */
export async function startCommand(io: CliIo, opts: StartOptions): Promise<number> {
  const loaded = load(io, opts);
  const app = await createApp(loaded);
  if (app.sandbox.warning) io.err(`warning: ${app.sandbox.warning}`);
  else if (app.sandbox.mode === 'none')
    io.err('warning: sandbox.mode is "none": agents, run_command and verify commands run unconfined.');
  const { config } = loaded;
  const detach = attachProgress(app.events, io, { colour: useColour(loaded.config.logging.colorize, io) });
  let server: TpServer | undefined;
  const deps = {
    source: app.source,
    store: app.store,
    events: app.events,
    secrets: app.secrets,
  };
  const metrics = createMetrics(app.events, { counts: () => app.source.counts() });
  if (config.webhook.enabled && opts.server !== false && !opts.once) {
    server = createAppServer(app, metrics);
    const addr = await server.listen(
      opts.port !== undefined ? Number(opts.port) : config.webhook.port,
      config.webhook.host,
    );
    io.out(`HTTP server on ${addr.url} (webhook ${config.webhook.path}, /health)`);
  }
  app.router?.start();
  // Preloads the queue's models beside intake; never awaited.
  app.warmUp?.trigger();
  await app.worker.start({ watch: !opts.once });
  const stopRecovery =
    config.recovery.autoRetry && !opts.once
      ? scheduleRecovery(
          { ...deps, maxRetries: config.recovery.maxRetries },
          {
            intervalMs: Math.max(10_000, Math.min(config.recovery.retryAfterMs, 300_000)),
            retryAfterMs: config.recovery.retryAfterMs,
            onRequeued: (n) => io.out(`recovery: requeued ${n} failed task(s)`),
            onError: (err) => app.logs.get('processor').error({ err }, 'automatic recovery failed'),
          },
        )
      : undefined;
  if (opts.once) {
    await app.worker.idle();
    const counts = await app.source.counts();
    detach();
    await app.close();
    io.out(
      `Done: ${counts.review} in review, ${counts.completed} completed, ${counts.failed} failed, ${counts.todo} still waiting.`,
    );
    return app.worker.failedCount === 0 && counts.todo === 0 && counts.doing === 0 ? 0 : 1;
  }
  io.out(`Watching ${app.source.watchPaths().join(', ')} (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  io.out('Stopping: waiting for running tasks to reach a safe point…');
  detach();
  stopRecovery?.();
  await server?.close();
  await app.close();
  return 0;
}

/**
 * The HTTP server of a running app: webhooks, health, the task API and metrics, wired to
 * the app's store, forge and worker. Not listening yet; `start` binds it.
 */
export function createAppServer(app: App, metrics: Registry): TpServer {
  const { config } = app.loaded;
  const loaded = app.loaded;
  const deps = { source: app.source, store: app.store, events: app.events, secrets: app.secrets };
  return createServer({
    webhookPath: config.webhook.path,
    secrets: {
      gitea: loaded.secrets.webhookSecret,
      github: loaded.secrets.githubWebhookSecret,
      gitlab: loaded.secrets.gitlabWebhookSecret,
    },
    maxBodyBytes: config.webhook.maxBodyBytes,
    rateLimitPerMinute: config.webhook.rateLimitPerMinute,
    taskIdRegex: config.taskIdFormat.extractRegex,
    seenDelivery: (key) => !app.store.markDelivery(key),
    forgetDelivery: (key) => app.store.forgetDelivery(key),
    apiToken: loaded.secrets.apiToken,
    allowedHosts: config.webhook.allowedHosts,
    metrics: () => metrics.metrics(),
    metricsContentType: metrics.contentType,
    createTask: async (input) => {
      const checked = parseNewTaskInputs(input);
      if (!checked.ok) {
        throw new TpError('Invalid task.', {
          code: 'TASK_INVALID',
          details: { problems: checked.problems },
        });
      }
      const [first, ...rest] = checked.tasks;
      if (!first || rest.length > 0)
        throw new TpError('POST one task per request.', { code: 'TASK_INVALID' });
      const { autoProcess: _draft, ...task } = first;
      // The API queues what it is given: a task posted to it is meant to run.
      return writeNewTask(app, task, true);
    },
    onForgeEvent: (event, ctx) =>
      handleForgeEvent(
        {
          ...deps,
          forge: app.forge,
          mention: config.webhook.mention,
          allowedCommenters: config.webhook.allowedCommenters,
          // Looked up per event, so the app (or a test) may swap the runner after start.
          startFollowUp: (...args) => app.startFollowUp(...args),
        },
        event,
        ctx.taskId,
      ),
    ...(app.router ? { ollamaHealth: () => ollamaHealth(app.router!) } : {}),
    health: async () => {
      const counts = await app.source.counts();
      return {
        status: 'ok',
        queueSize: counts.todo,
        queuePending: app.worker.activeCount,
        processing: app.worker.processing(),
        queues: app.worker.queueStats(),
        folders: counts,
      };
    },
    logger: app.logs.get('server'),
  });
}
