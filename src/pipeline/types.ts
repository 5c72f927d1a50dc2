import type { Agent } from '../agents/types.js';
import type { Config } from '../config/index.js';
import type { EventBus } from '../events/index.js';
import type { Forge } from '../forges/types.js';
import type { FailureAttempt, TaskSource } from '../intake/types.js';
import type { ModelSelector } from '../models/selection/index.js';
import type { Logger } from '../observability/index.js';
import type { CodeReviewer } from '../review/index.js';
import type { ProcessSandbox } from '../sandbox/index.js';
import type { Store } from '../store/index.js';
import type { Task } from '../tasks/types.js';
import type { Workspace } from '../workspace/index.js';
import type { TaskTarget } from './target.js';

/** One try of one model, as recorded in error.json and the store. */
export interface AttemptOutcome<T> {
  result: T;
  modelUsed: string;
  host: string | undefined;
  attempts: FailureAttempt[];
}

/**
 * Runs `fn` over a chain of models with retry and fallback. The models domain provides the
 * resilient implementation (breakers, host routing, waiting out outages).
 */
export interface AttemptRunner {
  run<T>(
    chain: string[],
    fn: (ctx: { model: string; host: string; attemptNumber: number; signal: AbortSignal }) => Promise<T>,
    opts: { taskId: string; signal: AbortSignal },
  ): Promise<AttemptOutcome<T>>;
}

export interface PipelineDeps {
  config: Config;
  source: TaskSource;
  store: Store;
  workspace: Workspace;
  forge: Forge;
  agent: Agent;
  runner: AttemptRunner;
  events: EventBus;
  logger: Logger;
  /**
   * Target repository, credentials and base branch of a task, after the allow-lists
   * (`repository.allowed`, `repository.allowedBaseBranches`); see `createTargetResolver`.
   */
  targetFor(task: Task): Promise<TaskTarget>;
  /** The target of a task that names none, where it is known before any task (start-up warm-up). */
  defaultTarget?: (() => Promise<TaskTarget | undefined>) | undefined;
  /** Where prompt files are written (outside any worktree). */
  promptDir: string;
  secrets: string[];
  /** The service's environment; children get only its allow-listed part (`buildChildEnv`). */
  env: Record<string, string | undefined>;
  /** Confinement of verify commands (agents get it through `createAgent`). */
  sandbox: ProcessSandbox;
  /** The LLM code review; undefined when `codeReview.enabled` is off. */
  reviewer?: CodeReviewer | undefined;
  /** Orders each run's models (`modelSelection`); default: one built from `config` and `store`. */
  selector?: ModelSelector | undefined;
  /**
   * A worker in front of the local forge: the PR stage keeps the request in `ctx.prRequest`
   * and the coordinator opens it (the local forge's PRs live in the coordinator's store).
   */
  deferPullRequests?: boolean | undefined;
  /**
   * Called after the commit, before the push, with what a re-run needs to skip to the PR (a
   * worker writes it into its BullMQ job, which outlives a killed worker); absent in memory mode.
   */
  checkpoint?:
    | ((c: { taskId: string; commitSha: string; modelUsed: string | undefined }) => Promise<void>)
    | undefined;
  /**
   * Called right before the push; a throw stops the run without pushing (a worker checks it
   * still holds its job's lock, so a worker that lost the job never pushes over its successor).
   */
  beforePush?: ((c: { taskId: string; branch: string }) => Promise<void>) | undefined;
}
