import { createApp } from '../app.js';
import { createAppServer } from '../app-server.js';
import { scheduleRecovery } from '../pipeline/recovery.js';
import type { TpServer } from '../server/index.js';
import { type CliIo, type GlobalOptions, load } from './context.js';
import { attachProgress, useColour } from './progress.js';

export interface StartOptions extends GlobalOptions {
  once?: boolean;
  port?: string;
  server?: boolean;
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

/** Moved to the composition root; kept here for callers that import it from `start`. */
export { createAppServer } from '../app-server.js';
