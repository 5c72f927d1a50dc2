import { z } from 'zod';

/*
 * The queue backend: where claimed tasks wait for a process that runs them. Not to be confused
 * with `processing.queues` (named lanes with their own concurrency, inside the coordinator):
 * `queue` says whether runs happen in this process (`memory`) or on workers behind Redis (`bullmq`).
 */

const ms = (d: number, text: string) => z.number().int().positive().default(d).describe(text);

const workerSchema = z
  .object({
    concurrency: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Jobs one `ticket-processor worker` runs at once; default `processing.concurrency`.'),
    models: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Models this worker serves (`worker --models`); empty: every model its Ollama hosts serve. A job goes only to a worker that serves one of its models.',
      ),
    hosts: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Ollama base URLs this worker uses (`worker --hosts`); empty: `ollama.hosts` or `ollama.host`.',
      ),
    name: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, dash and underscore (at most 64)')
      .optional()
      .describe('Shown in status, the dashboard and each result; default `<hostname>-<slot>`.'),
  })
  .prefault({});

export const queueSchema = z
  .object({
    backend: z
      .enum(['memory', 'bullmq'])
      .default('memory')
      .describe(
        '`memory`: tasks run in the `start` process. `bullmq`: `start` is the coordinator (intake, folders, store, webhooks, dashboard) and enqueues one BullMQ job per claimed task on Redis; `ticket-processor worker` processes (or `start --workers N`) run them. See docs/scaling.md.',
      ),
    redis: z
      .object({
        url: z
          .string()
          .regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL')
          .default('redis://127.0.0.1:6379')
          .describe(
            'Redis for `backend: bullmq`; env `REDIS_URL` overrides it. A password in the URL is treated as a secret (redacted).',
          ),
      })
      .prefault({}),
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,32}$/, 'letters, digits, dot, dash and underscore (at most 32)')
      .default('tp')
      .describe('Key prefix in Redis: one prefix per installation sharing a Redis server.'),
    workers: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe('Workers `start` runs in its own process under `backend: bullmq` (`start --workers N`).'),
    lockDurationMs: ms(
      30_000,
      'How long a worker holds a job without renewing its lock; after that (a killed worker) another worker takes the job over.',
    ),
    stalledIntervalMs: ms(10_000, 'How often workers look for jobs whose worker died (stalled jobs).'),
    maxStalledCount: z
      .number()
      .int()
      .nonnegative()
      .default(2)
      .describe(
        'Times a job may be taken over after its worker died before the task fails (ABORTED, retryable).',
      ),
    perRepository: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe(
        'Jobs of one target repository running at once across all workers (0: no limit). The coordinator admits jobs, so priorities stay in order.',
      ),
    reconcileIntervalMs: ms(
      30_000,
      'How often the coordinator looks for finished jobs it has not applied (besides the live events and its start).',
    ),
    worker: workerSchema,
  })
  .prefault({});

export type QueueConfig = z.infer<typeof queueSchema>;
