import type { FailureAttempt, FailureFinding } from '../errors/index.js';
import type { Task, TaskFormat, TaskProblem } from '../tasks/types.js';

/** The folder (or Backlog.md state) a task is in, as a user sees it. */
export type TaskState = 'todo' | 'doing' | 'review' | 'failed' | 'completed';

// Both records travel inside `TpError.details`, so the errors domain owns them.
export type { FailureAttempt, FailureFinding } from '../errors/index.js';

/** What `failed/<file>.error.json` holds (the original's fields, plus code/hint/stage/attempts). */
export interface FailureReport {
  taskId: string;
  filename: string;
  timestamp: string;
  error: string;
  /** `review`: the code review blocked the run (`codeReview.blockOnCritical`); `findings` lists why. */
  errorType: 'transient' | 'permanent' | 'rejected' | 'invalid' | 'review';
  code: string;
  retryable: boolean;
  retryCount: number;
  model: string | undefined;
  stage: string | undefined;
  hint: string | undefined;
  line?: number | undefined;
  attempts: FailureAttempt[];
  outputTail?: string | undefined;
  /** The original tool's name for the output: an alias of `outputTail` ("" when there was none). */
  stderr?: string;
  findings?: FailureFinding[] | undefined;
}

export interface ReviewInfo {
  branch: string;
  /** Undefined when no pull request is opened (`git.createPR: false`): the branch is the result. */
  prUrl: string | undefined;
  prNumber: number | undefined;
  model: string;
  summary: string;
}

export type ReadResult =
  | { ok: true; task: Task; path: string }
  | {
      ok: false;
      problems: TaskProblem[];
      path: string;
      taskId: string | undefined;
      /**
       * Set when the file was not read at all (a symlink, FIFO, device, directory, or larger
       * than `processing.maxTaskFileBytes`): waiting will not make it readable.
       */
      refused?: string | undefined;
    };

/** Another task file that carries the same id. */
export interface SameIdFile {
  file: string;
  state: TaskState;
}

/**
 * Where tasks live and how they move. The folder source moves files between folders; the
 * Backlog.md source keeps files in place and writes their status.
 */
export interface TaskSource {
  readonly format: TaskFormat;
  /** Folders or files to watch for new tasks. */
  watchPaths(): string[];
  /** True when `file` (from a watch event) may be a task to pick up. */
  isCandidate(file: string): boolean;
  /** Whether a task read from a candidate file is waiting to be picked up. */
  isPending(task: Task): boolean;
  /** Tasks waiting to be picked up. */
  listPending(): Promise<string[]>;
  /** Tasks claimed before a restart. */
  listInProgress(): Promise<string[]>;
  read(file: string): Promise<ReadResult>;
  /** Atomically claims a pending task; undefined when it is gone (claimed elsewhere, moved by a user). */
  claim(file: string): Promise<string | undefined>;
  toReview(file: string, info: ReviewInfo): Promise<string>;
  toFailed(file: string, report: FailureReport, log: string): Promise<string>;
  toCompleted(taskId: string, note: string): Promise<string | undefined>;
  /** Moves a failed task back to the queue (retry-failed). */
  requeue(taskId: string): Promise<string | undefined>;
  find(taskId: string): Promise<{ file: string; state: TaskState } | undefined>;
  /** Every task file other than `file` whose id is `taskId` (two tickets must never share an id). */
  othersWithId(taskId: string, file: string): Promise<SameIdFile[]>;
  listFailed(): Promise<
    Array<{ file: string; taskId: string | undefined; report: FailureReport | undefined }>
  >;
  counts(): Promise<Record<TaskState, number>>;
}
