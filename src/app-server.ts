import type { Registry } from 'prom-client';
import type { App } from './app.js';
import { writeNewTask } from './cli/task-files.js';
import { retryFailedTask } from './dashboard/index.js';
import { TpError } from './errors/index.js';
import type { ModelRouter } from './models/index.js';
import { handleForgeEvent } from './pipeline/forge-events.js';
import { redact, redactLikelySecrets } from './secrets/index.js';
import { createServer, type OllamaHealthReport, type TpServer } from './server/index.js';
import { parseNewTaskInputs } from './tasks/index.js';

/** `/health/ollama`: every host's breaker, and why a run waits, if one does. */
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
 * The composition root's HTTP face: webhooks (with each forge's secret), health, the task
 * API, metrics and the dashboard (`monitoring`), wired to the app's store, forge, worker,
 * stats and event bus. Not listening yet; `start`
 * binds it. `metrics` defaults to the app's registry.
 */
export function createAppServer(app: App, metrics: Registry = app.metrics): TpServer {
  const { config, secrets } = app.loaded;
  return createServer({
    webhookPath: config.webhook.path,
    secrets: {
      gitea: secrets.webhookSecret,
      github: secrets.githubWebhookSecret,
      gitlab: secrets.gitlabWebhookSecret,
    },
    maxBodyBytes: config.webhook.maxBodyBytes,
    rateLimitPerMinute: config.webhook.rateLimitPerMinute,
    taskIdRegex: config.taskIdFormat.extractRegex,
    seenDelivery: (key) => !app.store.markDelivery(key),
    forgetDelivery: (key) => app.store.forgetDelivery(key),
    apiToken: secrets.apiToken,
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
          ...app.completion,
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
    dashboard: {
      enabled: config.monitoring.dashboard,
      heartbeatMs: config.monitoring.heartbeatMs,
      stats: app.stats,
      subscribe: (listener) => app.events.onAny((name, payload) => listener(name, payload)),
      // Event payloads carry model output and errors: known secrets and secret-shaped strings go.
      redact: (text) => redactLikelySecrets(redact(text, app.secrets)),
      retryTask: (id) => retryFailedTask(app.recovery, id),
    },
    logger: app.logs.get('server'),
  });
}
