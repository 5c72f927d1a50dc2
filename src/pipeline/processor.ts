import path from 'node:path';
import type { Task } from '../tasks/types.js';
import { failTask } from './failure.js';
import { createRunContext, type RunContext, runStages } from './run-context.js';
import { recordRunOutcome } from './stages/agent.js';
import {
  alreadyPushed,
  autoMerge,
  CHANGE_STAGES,
  cleanupWorkspace,
  finalizeReview,
  openPullRequest,
  prepareWorkspace,
  resolveTarget,
  runError,
} from './stages/index.js';
import { branchName } from './template.js';
import type { PipelineDeps } from './types.js';

export type ProcessOutcome =
  | { status: 'review'; prUrl: string | undefined; prNumber: number | undefined; branch: string }
  | { status: 'failed'; code: string; retryable: boolean };

/**
 * Runs one claimed task through the stages: target (allow-lists) → worktree → the change
 * stages (agent, verify, guard, secret scan, commit, push) → pull request → review →
 * auto-merge. Commit sha and PR number are recorded as they happen, so a run cut short by a
 * crash resumes without a second commit or PR.
 */
export class TaskProcessor {
  constructor(private readonly deps: PipelineDeps) {}

  private repoReady: Promise<void> | undefined;

  /** Checks (or creates, with forge.createRepo) the forge repository once per process; retried after a failure. */
  private ensureRepo(): Promise<void> {
    this.repoReady ??= this.deps.forge.ensureRepo().catch((err: unknown) => {
      this.repoReady = undefined;
      throw err;
    });
    return this.repoReady;
  }

  /** Start-up: clears worktrees left behind by a process that died mid-task. */
  async sweepWorkspaces(): Promise<void> {
    const n = await this.deps.workspace.sweepOrphans();
    if (n > 0) this.deps.logger.info({ removed: n }, 'removed orphaned worktrees');
  }

  async process(file: string, task: Task, signal: AbortSignal): Promise<ProcessOutcome> {
    const { store, config } = this.deps;
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
    const kind = (prev?.retryCount ?? 0) > 0 ? 'retry' : 'task';
    const ctx = createRunContext(this.deps, { kind, task, file, branch, signal });
    try {
      await this.ensureRepo();
      await resolveTarget(ctx);
      if (await alreadyPushed(ctx, prev?.commitSha)) ctx.model = prev?.modelUsed;
      else await runStages(ctx, [prepareWorkspace, ...CHANGE_STAGES]);
      await runStages(ctx, [openPullRequest, finalizeReview]);
      recordRunOutcome(ctx, true);
      await cleanupWorkspace(ctx);
      await autoMerge(ctx);
      return { status: 'review', prUrl: ctx.pr?.url, prNumber: ctx.pr?.number, branch };
    } catch (raw) {
      return this.fail(ctx, raw);
    }
  }

  /** The task goes to failed/ with error.json and error.log; every failed attempt is stored. */
  private async fail(ctx: RunContext, raw: unknown): Promise<ProcessOutcome> {
    const { task, file } = ctx;
    const error = runError(ctx, raw).withTask(task.id);
    recordRunOutcome(ctx, false);
    const attempts = error.details.attempts ?? ctx.attempts;
    await failTask(this.deps, {
      taskId: task.id,
      file,
      error,
      stage: ctx.stage,
      model: ctx.model ?? attempts.at(-1)?.model,
      attempts,
      outputTail: error.details.outputTail ?? ctx.agentResult?.outputTail,
      run: 'owned',
      event: { kind: 'failed', elapsedMs: Date.now() - ctx.started },
    });
    await cleanupWorkspace(ctx);
    return { status: 'failed', code: error.code, retryable: error.retryable };
  }
}
