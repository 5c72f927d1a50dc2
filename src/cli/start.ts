import { createApp } from '../app.js';
import { createAppServer } from '../app-server.js';
import { TpError } from '../errors/index.js';
import { scheduleRecovery } from '../pipeline/recovery.js';
import { createWorkerRunner, type WorkerRunner } from '../queue/bullmq/worker-runner.js';
import type { TpServer } from '../server/index.js';
import { type CliIo, type GlobalOptions, load } from './context.js';
import { attachProgress, useColour } from './progress.js';

export interface StartOptions extends GlobalOptions {
  once?: boolean;
  port?: string;
  server?: boolean;
  /** BullMQ workers to run in this process (`queue.workers` when absent). */
  workers?: string;
}

/** Runs `queue.workers` (or `--workers N`) in-process workers; only under `queue.backend: "bullmq"`. */
function workerCount(opts: StartOptions, config: ReturnType<typeof load>['config']): number {
  const n = opts.workers !== undefined ? Number(opts.workers) : config.queue.workers;
  if (!Number.isInteger(n) || n < 0)
    throw new TpError(`--workers must be a whole number, got "${opts.workers}".`, {
      code: 'CONFIG_INVALID',
      retryable: false,
    });
  if (n > 0 && config.queue.backend !== 'bullmq')
    throw new TpError('In-process workers (--workers, queue.workers) need queue.backend "bullmq".', {
      code: 'CONFIG_INVALID',
      retryable: false,
      hint: 'Set queue.backend to "bullmq" (with queue.redis.url), or drop --workers: the memory backend runs tasks in `start` itself (processing.concurrency).',
    });
  return n;
}

/**
 * `start`: reconcile, then watch and process. `--once` drains what is queued and exits 0 when
 * every task reached review/ (or completed/), 1 otherwise.
 */
export async function startCommand(io: CliIo, opts: StartOptions): Promise<number> {
  const loaded = load(io, opts);
  const workers = workerCount(opts, loaded.config);
  const app = await createApp(loaded);
  if (app.sandbox.warning) io.err(`warning: ${app.sandbox.warning}`);
  else if (app.sandbox.mode === 'none')
    io.err('warning: sandbox.mode is "none": agents, run_command and verify commands run unconfined.');
  const { config } = loaded;
  const detach = attachProgress(app.events, io, { colour: useColour(loaded.config.logging.colorize, io) });
  let server: TpServer | undefined;
  if (config.webhook.enabled && opts.server !== false && !opts.once) {
    server = createAppServer(app);
    const addr = await server.listen(
      opts.port !== undefined ? Number(opts.port) : config.webhook.port,
      config.webhook.host,
    );
    io.out(`HTTP server on ${addr.url} (webhook ${config.webhook.path}, /health)`);
  }
  app.router?.start();
  // Only the service resends deliveries a previous process left pending and sends the daily
  // digest; other commands (retry-failed, pr merge) just send what they cause.
  app.notifier?.start();
  // Preloads the queue's models beside intake; never awaited.
  app.warmUp?.trigger();
  await app.worker.start({ watch: !opts.once });
  // After the coordinator took its lease: a refused second coordinator starts no workers. They
  // go through Redis like remote ones (one code path), sharing this process.
  const runners: WorkerRunner[] = [];
  const named = loaded.config.queue.worker.name;
  try {
    for (let i = 0; i < workers; i++) {
      // A configured name is one process's: each in-process worker gets its own.
      const runner = await createWorkerRunner(loaded, {
        name: named && workers > 1 ? `${named}-${i + 1}` : undefined,
      });
      runners.push(runner);
      await runner.start();
    }
  } catch (err) {
    await Promise.allSettled(runners.map((r) => r.stop()));
    await app.close();
    throw err;
  }
  if (runners.length > 0)
    io.out(`Started ${runners.length} in-process worker(s): ${runners.map((r) => r.id).join(', ')}`);
  const stopRunners = async () => {
    // First: their jobs finish or go back to waiting, and the coordinator is still there to apply.
    await Promise.allSettled(runners.map((r) => r.stop()));
  };
  const stopRecovery =
    config.recovery.autoRetry && !opts.once
      ? scheduleRecovery(app.recovery, {
          intervalMs: Math.max(10_000, Math.min(config.recovery.retryAfterMs, 300_000)),
          retryAfterMs: config.recovery.retryAfterMs,
          onRequeued: (n) => io.out(`recovery: requeued ${n} failed task(s)`),
          onError: (err) => app.logs.get('processor').error({ err }, 'automatic recovery failed'),
        })
      : undefined;
  if (opts.once) {
    await app.worker.idle();
    const counts = await app.source.counts();
    detach();
    await stopRunners();
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
  await stopRunners();
  await app.close();
  return 0;
}

/** Moved to the composition root; kept here for callers that import it from `start`. */
export { createAppServer } from '../app-server.js';
