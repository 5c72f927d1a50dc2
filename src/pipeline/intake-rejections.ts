import path from 'node:path';
import { TpError } from '../errors/index.js';
import type { EventBus } from '../events/index.js';
import type { ReadResult, TaskSource } from '../intake/types.js';
import type { Logger } from '../observability/index.js';
import type { Store } from '../store/index.js';
import type { TaskProblem } from '../tasks/types.js';
import { failTask } from './failure.js';

export interface RejectionDeps {
  source: TaskSource;
  store: Store;
  events: EventBus;
  logger: Logger;
  secrets: string[];
  /** Called once for every file that reached failed/. */
  onFailed: () => void;
}

const REFUSED_HINT =
  'Put the task in a regular file (not a symlink, FIFO, device or directory) no larger than processing.maxTaskFileBytes, then move it back to the todo folder.';

/**
 * Sends task files that cannot be processed to failed/ through `failTask`: invalid or refused
 * files, duplicate ids, and files whose reading failed unexpectedly. A run the store records
 * under the same file (a retried task edited into an invalid one) is marked failed too. None of these methods
 * rejects; when even the move fails the file is logged and left where it is, so one bad file
 * never stops intake.
 */
export class IntakeRejections {
  constructor(private readonly deps: RejectionDeps) {}

  /** A file that did not parse, or was refused unread (`read.refused`). */
  invalid(file: string, read: Extract<ReadResult, { ok: false }>): Promise<void> {
    const first: TaskProblem | undefined = read.problems[0];
    const message = read.problems
      .map((p) => (p.line ? `line ${p.line}: ${p.message}` : p.message))
      .join('; ');
    const error = read.refused
      ? new TpError(`Refused task file: ${message}`, { code: 'TASK_INVALID', hint: REFUSED_HINT })
      : new TpError(`Invalid task file: ${message}`, { code: 'TASK_INVALID' });
    return this.fail(file, read.taskId, error, {
      line: first?.line,
      errorType: 'invalid',
      stage: 'validate',
      summary: message,
    });
  }

  /**
   * Refuses a task file whose id already belongs to another task file, or (folder layout) to
   * a run recorded under another file name: two tickets with one id would share a branch and
   * a pull request. Resolves true when the file was refused.
   */
  async duplicate(file: string, taskId: string): Promise<boolean> {
    const name = path.basename(file);
    const others = await this.deps.source.othersWithId(taskId, file);
    let owner: string | undefined;
    if (others[0]) owner = `${path.basename(others[0].file)} (in ${others[0].state}/)`;
    else if (this.deps.source.format === 'folders') {
      const run = this.deps.store.getRun(taskId);
      if (run?.file && run.file !== name) {
        const pr = run.prNumber ? `, PR #${run.prNumber}` : '';
        owner = `${run.file} (its run is recorded in the state store${pr})`;
      }
    }
    if (!owner) return false;
    const error = new TpError(
      `Task id ${taskId} of ${name} already belongs to ${owner}. Two tickets with one id would share a branch and a pull request, so ${name} was not processed.`,
      {
        code: 'TASK_DUPLICATE_ID',
        taskId,
        hint: `Rename ${name} to a free id (\`ticket-processor create-task\` picks one), then move it back to the todo folder.`,
      },
    );
    await this.fail(file, taskId, error, { errorType: 'rejected', stage: 'validate' });
    return true;
  }

  /** An unexpected error while reading, resuming or claiming one file (a vanished file is not one). */
  async unreadable(file: string, err: unknown): Promise<void> {
    if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') return;
    if (TpError.isInstance(err) && err.code === 'TASK_DUPLICATE_ID') {
      await this.fail(file, err.taskId, err, { errorType: 'rejected', stage: 'validate' });
      return;
    }
    const name = path.basename(file);
    this.deps.logger.error({ err, file: name }, 'could not read a task file; moving it to failed/');
    // The report names the file, not where the service keeps its folders.
    const why = String((err as Error)?.message ?? err).replaceAll(path.resolve(file), name);
    const error = new TpError(`Could not read the task file: ${why}`, {
      code: 'INTERNAL',
      retryable: true,
      hint: 'Check that the service can read the file, then run `ticket-processor retry-failed --task-id {id}`.',
    });
    await this.fail(file, undefined, error, { stage: 'intake' });
  }

  private async fail(
    file: string,
    taskId: string | undefined,
    error: TpError,
    opts: {
      line?: number | undefined;
      errorType?: 'invalid' | 'rejected';
      stage: string;
      /** What the progress line shows; defaults to the error message. */
      summary?: string;
    },
  ): Promise<void> {
    const name = path.basename(file);
    const id = taskId ?? name;
    try {
      await failTask(this.deps, {
        taskId: id,
        file,
        error,
        stage: opts.stage,
        line: opts.line,
        errorType: opts.errorType,
        // The id may be another task's (a duplicate): only a run under this file name is ours.
        run: 'if-same-file',
        event: { kind: 'invalid', summary: opts.summary },
      });
      this.deps.onFailed();
    } catch (err) {
      // Gone means claimed or moved by someone else meanwhile: nothing to fail.
      if ((err as NodeJS.ErrnoException)?.code !== 'ENOENT')
        this.deps.logger.error({ err, file: name }, 'could not move a task file to failed/; left in place');
    }
  }
}
