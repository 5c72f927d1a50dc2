import { type Job, WaitingError } from 'bullmq';
import type { RunParts } from '../../app-run-parts.js';
import type { Config } from '../../config/index.js';
import { TpError } from '../../errors/index.js';
import type { EventBus } from '../../events/index.js';
import type { Forge } from '../../forges/types.js';
import type { TaskSource } from '../../intake/types.js';
import type { Logger } from '../../observability/index.js';
import { type RunRequest, TaskProcessor } from '../../pipeline/processor.js';
import type { PipelineDeps } from '../../pipeline/types.js';
import { redact } from '../../secrets/index.js';
import {
  JOB_VERSION,
  modelOfQueue,
  type TaskJobData,
  type TaskJobResult,
  taskJobDataSchema,
} from './contracts.js';
import { maybeCrash } from './fault.js';
import { FixedSelector } from './fixed-selector.js';
import { JobEvents } from './job-events.js';
import { type CacheStore, RecordingStore } from './recording-store.js';

/** What every job of one runner shares. */
export interface JobContext {
  name: string;
  config: Config;
  parts: RunParts;
  /** The forge with `ensureRepo` checked once per runner, not once per job. */
  forge: Forge;
  cache: CacheStore;
  served: ReadonlySet<string>;
  secrets: string[];
  env: Record<string, string | undefined>;
  logger: Logger;
  /** The runner's bus (router events): events naming a running job's task are forwarded to it. */
  events: EventBus;
  lockDurationMs: number;
  /** True once the runner is stopping: an unfinished job is handed back, not failed. */
  stopping(): boolean;
}

function notOnWorker(what: string): never {
  throw new TpError(`${what} is not available on a worker: the coordinator owns the task files.`, {
    code: 'INTERNAL',
    retryable: false,
  });
}

/** A worker never reads or moves task files: every use of the source is a bug, and says so. */
const NO_SOURCE = new Proxy({} as TaskSource, {
  get: (_t, key) => (key === 'then' ? undefined : () => notOnWorker(`TaskSource.${String(key)}`)),
});

/** The job's data, or a throw that makes BullMQ fail the job (the coordinator fails the task INTERNAL). */
export function parseJobData(raw: unknown): TaskJobData {
  const parsed = taskJobDataSchema.safeParse(raw);
  if (!parsed.success) {
    const v = (raw as { v?: unknown } | null)?.v;
    const why =
      v !== undefined && v !== JOB_VERSION
        ? `job data version ${String(v)} (this worker reads version ${JOB_VERSION})`
        : `job data does not parse: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}`;
    throw new TpError(`Refused the job: ${why}.`, { code: 'INTERNAL', retryable: false });
  }
  return parsed.data as TaskJobData;
}

/**
 * The run request of a job: a checkpoint written by an earlier worker (killed after its commit)
 * wins over the coordinator's record, so this run goes straight to the PR when that commit is
 * the remote head: one commit, one PR.
 */
export function requestOf(data: TaskJobData): RunRequest {
  const { request, checkpoint } = data;
  return {
    ...request,
    previous: checkpoint
      ? { commitSha: checkpoint.commitSha, modelUsed: checkpoint.modelUsed ?? request.previous.modelUsed }
      : request.previous,
  };
}

/**
 * Runs one job: the stages up to a pushed branch and its PR (`TaskProcessor.execute`) with
 * per-job deps (recording store, forwarding bus, the job's model chain). Returns the job's
 * result; a job cut short by the runner's stop is handed back to the queue instead.
 */
export async function processJob(
  jc: JobContext,
  job: Job,
  token: string | undefined,
  signal: AbortSignal,
  track: (taskId: string, events: JobEvents | undefined) => void,
): Promise<TaskJobResult> {
  const data = parseJobData(job.data);
  const started = Date.now();
  const taskId = data.request.task.id;
  const { parts, config } = jc;
  const store = new RecordingStore(data, jc.cache);
  const events = new JobEvents({
    taskId,
    send: (e) => job.updateProgress(e as unknown as object),
    secrets: jc.secrets,
    debug: config.logging.level === 'debug',
    onError: (err) => jc.logger.debug({ taskId, err: redact(String(err), jc.secrets) }, 'progress not sent'),
  });
  events.bus.on('task.stage', (p) => {
    // The PR stage starts once the push is done: the window "pushed, no PR yet".
    if (p.stage === 'pull-request') maybeCrash(jc.env, 'after-push');
  });
  track(taskId, events);
  const deps: PipelineDeps = {
    config,
    source: NO_SOURCE,
    store,
    workspace: parts.workspace,
    forge: jc.forge,
    agent: parts.agent,
    runner: parts.runner,
    events: events.bus,
    logger: jc.logger,
    targetFor: parts.targetFor,
    promptDir: parts.promptDir,
    secrets: jc.secrets,
    env: jc.env,
    sandbox: parts.sandbox,
    reviewer: parts.reviewer,
    selector: new FixedSelector(data, jc.served, modelOfQueue(job.queueName)),
    deferPullRequests: config.forge.type === 'local',
    checkpoint: async (c) => {
      const checkpoint = { commitSha: c.commitSha, modelUsed: c.modelUsed, worker: jc.name, at: Date.now() };
      await job.updateData({ ...data, checkpoint });
      maybeCrash(jc.env, 'after-checkpoint');
    },
    beforePush: async () => {
      // Split-brain fence: a worker that lost its lock (stalled, partitioned) must not push.
      if (token && (await job.extendLock(token, jc.lockDurationMs)) !== 1) {
        throw new TpError('Lost the job lock before the push: another worker owns this task now.', {
          code: 'ABORTED',
          retryable: true,
        });
      }
    },
  };
  jc.logger.info({ taskId, jobId: job.id, queue: job.queueName, chain: data.selection.chain }, 'job started');
  try {
    const result = await new TaskProcessor(deps).execute(requestOf(data), signal);
    await events.flush();
    if (result.status === 'pushed') maybeCrash(jc.env, 'after-pr');
    else if (jc.stopping() && token) {
      // Stopped mid-run: back to waiting at once (priority kept), for another worker to take.
      await job.moveToWait(token);
      jc.logger.info({ taskId, jobId: job.id }, 'job handed back (worker stopping)');
      throw new WaitingError();
    }
    jc.logger.info({ taskId, jobId: job.id, status: result.status }, 'job finished');
    return { v: JOB_VERSION, worker: jc.name, result, storeOps: store.ops, elapsedMs: Date.now() - started };
  } finally {
    track(taskId, undefined);
  }
}
