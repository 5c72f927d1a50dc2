import type { Task } from '../tasks/types.js';
import type { ProcessOutcome } from './settle.js';

/**
 * Where claimed tasks run. The memory backend runs them in this process (`TaskProcessor`);
 * the BullMQ backend enqueues a job and resolves once a worker's result has been applied here.
 * Either way the caller (the intake loop) only sees the outcome, after the task file moved.
 */
export interface Dispatcher {
  /**
   * Start-up, before any task is dispatched: what the backend must put right after a crash
   * (worktrees of a dead process; results of jobs that finished while this process was down).
   */
  prepare(): Promise<void>;
  /**
   * A task file has just appeared and is being read: start, in the background, what its run
   * will need first (the fetch of the default repository), so that a claim finds it done.
   * Never throws; a backend with nothing to warm leaves it out.
   */
  warm?(): void;
  /**
   * Runs a claimed task (its file is in the in-progress folder) and settles it. `resumed`: the
   * task was found in progress at start-up, so a run of it may already exist (a queued job).
   * `freshSince`: when the task was admitted (see `RunRequest.freshSince`). `releaseSlot`: a
   * backend that runs the task here calls it once only committing and publishing are left, so the
   * caller may start the next task; a backend that does not call it holds the slot to the end.
   */
  run(
    file: string,
    task: Task,
    signal: AbortSignal,
    opts: { resumed: boolean; freshSince?: number | undefined; releaseSlot?: () => void },
  ): Promise<ProcessOutcome>;
}
