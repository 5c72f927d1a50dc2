import path from 'node:path';
import type { ModelSelector } from '../../models/selection/index.js';
import type { Dispatcher } from '../../pipeline/dispatch.js';
import { beginRun } from '../../pipeline/processor.js';
import type { ProcessOutcome } from '../../pipeline/settle.js';
import type { PipelineDeps } from '../../pipeline/types.js';
import type { JobLedger, Store } from '../../store/index.js';
import type { Task } from '../../tasks/types.js';
import { jobIdFor, PRIORITY, type TaskJobData, taskJobDataSchema } from './contracts.js';
import type { Coordinator } from './coordinator.js';

export interface BullDispatcherDeps {
  store: Store & JobLedger;
  config: PipelineDeps['config'];
  selector: ModelSelector;
  coordinator: Coordinator;
}

const SHUTDOWN: ProcessOutcome = { status: 'failed', code: 'ABORTED', retryable: true };

/** The per-repository key of a task (`queue.perRepository` counts by it). */
export function repoKeyOf(task: Pick<Task, 'repo'>): string {
  return task.repo ?? 'default';
}

/**
 * Runs claimed tasks on BullMQ workers: marks the run started (`beginRun`), chooses the model
 * chain here (the selector reads this store's history), adds one job to the queue of the first
 * model a live worker serves, and resolves once the job's result has been applied (task file
 * moved, events sent). The job each task was handed to is recorded in the store, so a task found
 * in progress at start-up re-attaches to its job, or adds it again when this process died
 * between claim and add.
 */
export class BullDispatcher implements Dispatcher {
  constructor(private readonly deps: BullDispatcherDeps) {}

  /** Takes the coordinator lease and applies every job that finished while no coordinator ran. */
  async prepare(): Promise<void> {
    await this.deps.coordinator.start();
  }

  async run(
    file: string,
    task: Task,
    signal: AbortSignal,
    opts: { resumed: boolean; freshSince?: number | undefined },
  ): Promise<ProcessOutcome> {
    if (signal.aborted) return SHUTDOWN;
    // Wrapped in an object: an async function returning the bare promise would wait for it.
    const handle =
      (opts.resumed && (await this.reattach(task))) || (await this.dispatch(file, task, opts.freshSince));
    return this.until(task.id, handle.done, signal);
  }

  /** Re-attaches to the job a previous process handed the task to; undefined when there is none. */
  private async reattach(task: Task): Promise<{ done: Promise<ProcessOutcome> } | undefined> {
    const { store, coordinator } = this.deps;
    const rec = store.dispatchedJob(task.id);
    if (!rec || store.isJobApplied(rec.jobId)) return undefined;
    const parsed = taskJobDataSchema.safeParse(JSON.parse(rec.data));
    if (!parsed.success) return undefined;
    const done = coordinator.expect(task.id, rec.jobId, parsed.data.request.file);
    const job = await coordinator.job(rec.queue, rec.jobId);
    if (!job)
      await coordinator.add(rec.queue, rec.jobId, parsed.data as TaskJobData, PRIORITY[task.priority]);
    else if (['completed', 'failed'].includes(await job.getState())) void coordinator.applyIfFinished(job);
    return { done };
  }

  private async dispatch(
    file: string,
    task: Task,
    freshSince: number | undefined,
  ): Promise<{ done: Promise<ProcessOutcome> }> {
    const { store, config, selector, coordinator } = this.deps;
    const req = beginRun({ store, config }, file, task, { freshSince });
    const runNo = store.getRun(task.id)?.attempts ?? 1;
    const selection = selector.choose(task, { retry: req.kind === 'retry' });
    const queue = await coordinator.route(selection.chain);
    const jobId = jobIdFor(task.id, runNo);
    const data: TaskJobData = {
      v: 1,
      request: { ...req, file: path.basename(file) } as TaskJobData['request'],
      selection: {
        chain: selection.chain,
        strategy: selection.strategy,
        kinds: selection.kinds,
        size: selection.size,
        reason: selection.reason,
      },
      repoKey: repoKeyOf(task),
      enqueuedAt: Date.now(),
    };
    // Recorded before the add: a crash in between re-adds the same job (same id) at start.
    store.recordDispatch({ taskId: task.id, jobId, queue, data: JSON.stringify(data) });
    const done = coordinator.expect(task.id, jobId, path.basename(file));
    try {
      await coordinator.add(queue, jobId, data, PRIORITY[task.priority]);
    } catch (err) {
      // Redis unreachable: the task stays in progress and the next start adds the recorded job.
      coordinator.forget(task.id);
      throw err;
    }
    return { done };
  }

  /** The applied outcome, or at shutdown a prompt return that leaves the task and its job as they are. */
  private until(taskId: string, done: Promise<ProcessOutcome>, signal: AbortSignal): Promise<ProcessOutcome> {
    return new Promise((resolve) => {
      const onAbort = () => {
        this.deps.coordinator.forget(taskId);
        resolve(SHUTDOWN);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      void done.then((o) => {
        signal.removeEventListener('abort', onAbort);
        resolve(o);
      });
    });
  }
}
