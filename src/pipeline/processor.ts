import path from 'node:path';
import type { Task } from '../tasks/types.js';
import type { Dispatcher } from './dispatch.js';
import { createRunContext, type RunContext, type RunKind, runStages } from './run-context.js';
import { type RunResult, serializeError } from './run-result.js';
import { type ProcessOutcome, type SettleDeps, settleRun } from './settle.js';
import { recordRunOutcome } from './stages/agent.js';
import {
  alreadyPushed,
  CHANGE_STAGES,
  cleanupWorkspace,
  needsAttention,
  openPullRequest,
  prepareWorkspace,
  resolveTarget,
  runError,
} from './stages/index.js';
import type { TaskTarget } from './target.js';
import { branchName } from './template.js';
import type { PipelineDeps } from './types.js';

export type { ProcessOutcome } from './settle.js';

/** One run of a claimed task, as a coordinator hands it to whoever runs it. */
export interface RunRequest {
  kind: Extract<RunKind, 'task' | 'retry'>;
  task: Task;
  /** The task file (messages; the run never touches it). */
  file: string;
  branch: string;
  /** What an earlier run of this task recorded: a pushed commit lets this run skip to the PR. */
  previous: { commitSha?: string | undefined; modelUsed?: string | undefined };
  /**
   * Epoch ms the task was admitted to the queue (or its dependencies released it): the run's
   * base may come from any fetch that started then or later. Unset: a fetch of its own.
   */
  freshSince?: number | undefined;
}

/**
 * Marks a claimed task's run as started in the store (attempt count, branch) and says what the
 * run needs to know: the side that owns the store does this before a run starts anywhere.
 */
export function beginRun(
  deps: Pick<PipelineDeps, 'store' | 'config'>,
  file: string,
  task: Task,
  opts: { freshSince?: number | undefined } = {},
): RunRequest {
  const { store, config } = deps;
  const prev = store.getRun(task.id);
  const branch = branchName(config.git.branchNameFormat, { id: task.id, title: task.title });
  store.upsertRun({
    taskId: task.id,
    file: path.basename(file),
    format: task.format,
    state: 'running',
    branch,
    attempts: (prev?.attempts ?? 0) + 1,
  });
  return {
    kind: (prev?.retryCount ?? 0) > 0 ? 'retry' : 'task',
    task,
    file,
    branch,
    previous: { commitSha: prev?.commitSha, modelUsed: prev?.modelUsed },
    ...(opts.freshSince !== undefined ? { freshSince: opts.freshSince } : {}),
  };
}

/**
 * Runs one claimed task through the stages: target (allow-lists) → worktree → the change
 * stages (agent, verify, guard, secret scan, review, commit, push) → pull request; then settles
 * it (task file to review/ or failed/, events, auto-merge). Commit sha and PR number are
 * recorded as they happen, so a run cut short by a crash resumes without a second commit or PR.
 */
export class TaskProcessor implements Dispatcher {
  constructor(private readonly deps: PipelineDeps) {}

  private repoReady: Promise<void> | undefined;
  /** The default repository as the last run resolved it: what `warm()` fetches. */
  private defaultTarget: { remote: string; auth: TaskTarget['auth'] } | undefined;

  /** Starts a fetch of the default repository (once one run has resolved it); errors are the run's to report. */
  warm(): void {
    const t = this.defaultTarget;
    if (t) this.deps.workspace.prefetch(t.remote, t.auth, Date.now());
  }

  /** Checks (or creates, with forge.createRepo) the forge repository once per process; retried after a failure. */
  private ensureRepo(): Promise<void> {
    this.repoReady ??= this.deps.forge.ensureRepo().catch((err: unknown) => {
      this.repoReady = undefined;
      throw err;
    });
    return this.repoReady;
  }

  /**
   * Start-up: clears worktrees left behind by a process that died mid-task, then readies the
   * default repository in the background (cache, fetch, two worktrees per concurrency slot), so
   * the first tasks start as fast as the later ones.
   */
  async prepare(): Promise<void> {
    const n = await this.deps.workspace.sweepOrphans();
    if (n > 0) this.deps.logger.info({ removed: n }, 'removed orphaned worktrees');
    // Twice the slots: a task gives its slot back at commit but holds its worktree until its push.
    const slots = this.deps.config.processing.concurrency * 2;
    void this.deps.workspace.warmUp(async () => {
      const t = await this.deps.defaultTarget?.().catch(() => undefined);
      if (t) this.defaultTarget ??= { remote: t.remote, auth: t.auth };
      return t;
    }, slots);
  }

  /** In this process, start to end (the memory backend); a resumed task simply runs again. */
  async run(
    file: string,
    task: Task,
    signal: AbortSignal,
    opts: { freshSince?: number | undefined; releaseSlot?: (() => void) | undefined } = {},
  ): Promise<ProcessOutcome> {
    const req = beginRun(this.deps, file, task, opts);
    const result = await this.execute(req, signal, { releaseSlot: opts.releaseSlot });
    return settleRun(this.settleDeps(), file, task, result);
  }

  /** What `settleRun` needs, from this process's parts. */
  settleDeps(): SettleDeps {
    const { source, store, events, secrets, forge, logger, config } = this.deps;
    return { source, store, events, secrets, forge, logger, autoMerge: config.webhook.autoMergePR };
  }

  /**
   * The stages up to a pushed branch and its PR, and never a folder move: what a worker runs.
   * Domain failures are returned (`status: 'failed'`), never thrown.
   */
  async execute(
    req: RunRequest,
    signal: AbortSignal,
    hooks: { releaseSlot?: (() => void) | undefined } = {},
  ): Promise<RunResult> {
    const { task, file, branch, kind } = req;
    const ctx = createRunContext(this.deps, {
      kind,
      task,
      file,
      branch,
      signal,
      freshSince: req.freshSince,
      releaseSlot: hooks.releaseSlot,
    });
    try {
      await this.ensureRepo();
      await resolveTarget(ctx);
      if (ctx.task.repo === undefined && !this.deps.config.repository.perTaskRepo)
        this.defaultTarget = { remote: ctx.remote, auth: ctx.auth };
      if (await alreadyPushed(ctx, req.previous.commitSha)) {
        ctx.model = req.previous.modelUsed;
        ctx.commitSha = req.previous.commitSha;
      } else await runStages(ctx, [prepareWorkspace, ...CHANGE_STAGES]);
      await openPullRequest(ctx);
      recordRunOutcome(ctx, true);
      await cleanupWorkspace(ctx);
      return {
        status: 'pushed',
        ...this.base(ctx),
        commitSha: ctx.commitSha,
        pr: ctx.pr,
        prRequest: ctx.prRequest,
        autoMergeBlockers: ctx.autoMergeBlockers,
        needsAttention: needsAttention(ctx),
        summary: ctx.agentResult?.summary ?? '',
      };
    } catch (raw) {
      const error = runError(ctx, raw).withTask(task.id);
      recordRunOutcome(ctx, false);
      await cleanupWorkspace(ctx, error);
      const attempts = error.details.attempts ?? ctx.attempts;
      return {
        status: 'failed',
        ...this.base(ctx),
        model: ctx.model ?? attempts.at(-1)?.model,
        stage: ctx.stage,
        error: serializeError(error),
        attempts,
        outputTail: error.details.outputTail ?? ctx.agentResult?.outputTail,
      };
    }
  }

  private base(ctx: RunContext) {
    return {
      taskId: ctx.task.id,
      branch: ctx.branch,
      remote: ctx.remote,
      model: ctx.model,
      host: ctx.host,
      startedAt: ctx.started,
      stageMs: ctx.stageTimes(),
    };
  }
}
