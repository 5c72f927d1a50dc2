import { TpError } from '../errors/index.js';
import { createWorkerRunner } from '../queue/bullmq/worker-runner.js';
import { type CliIo, type GlobalOptions, load } from './context.js';

export interface WorkerCommandOptions extends GlobalOptions {
  /** Comma-separated models served (`queue.worker.models`). */
  models?: string;
  /** Comma-separated Ollama base URLs (`queue.worker.hosts`). */
  hosts?: string;
  concurrency?: string;
  name?: string;
}

const list = (v: string | undefined) =>
  v === undefined
    ? undefined
    : v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);

function positiveInt(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new TpError(`--concurrency must be a positive integer, not "${v}".`, {
      code: 'CONFIG_INVALID',
      retryable: false,
    });
  return n;
}

/**
 * `worker`: runs jobs of the coordinator's BullMQ queues (the models it serves) until SIGTERM or
 * SIGINT, then hands its running jobs back to the queue and exits 0.
 */
export async function workerCommand(io: CliIo, opts: WorkerCommandOptions): Promise<number> {
  const loaded = load(io, opts);
  const concurrency = positiveInt(opts.concurrency);
  const runner = await createWorkerRunner(loaded, {
    name: opts.name,
    concurrency,
    models: list(opts.models),
    hosts: list(opts.hosts),
  });
  const stop = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  try {
    await runner.start();
  } catch (err) {
    await runner.stop();
    throw err;
  }
  io.out(
    `worker ${runner.name} (slot ${runner.slot}) serving ${runner.models.join(', ') || '(no model)'} on queues ${runner.queues.join(', ')} via ${runner.redisUrl} (Ctrl-C to stop)`,
  );
  await stop;
  io.out('Stopping: handing running jobs back to the queue…');
  await runner.stop();
  return 0;
}
