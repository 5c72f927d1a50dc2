import { reviewReport } from '../review/index.js';
import { redact } from '../secrets/index.js';
import type { Task } from '../tasks/types.js';
import { changedFiles } from './check-files.js';
import { checksReport } from './pr-body.js';
import { createRunContext, type RunContext, runStages } from './run-context.js';
import {
  CHANGE_STAGES,
  cleanupWorkspace,
  prepareExistingWorkspace,
  publishReview,
  resolveTarget,
  runError,
} from './stages/index.js';
import { branchName } from './template.js';
import type { PipelineDeps } from './types.js';

export interface FollowUpRequest {
  task: Task;
  file: string;
  prNumber: number;
  branch: string;
  /** The comment text after the mention: the reviewer's instructions. */
  instructions: string;
  author: string;
}

/** Where a run stopped, in words a reviewer understands. */
function stepName(ctx: RunContext): string {
  return ctx.step === 'agent' || ctx.step === 'verify' ? `${ctx.step} stage` : ctx.step;
}

/** The reply after a successful run: what was pushed, and the checks as a PR body shows them. */
function pushedReply(ctx: RunContext): string {
  const files = changedFiles(ctx.diff).length;
  const lines = [
    `ticket-processor: pushed ${ctx.commitSha!.slice(0, 10)} to \`${ctx.branch}\` with ${ctx.model} (${files} file(s)). ${ctx.agentResult?.summary ?? ''}`.trimEnd(),
  ];
  if (ctx.verify?.length) {
    const failed = ctx.verify.filter((v) => !v.ok).length;
    lines.push(
      '',
      failed > 0 ? `${failed} of ${ctx.verify.length} checks fail after this change.` : 'All checks pass.',
      '',
      ...checksReport(ctx.verify),
    );
  }
  if (ctx.review) lines.push('', ...reviewReport(ctx.review));
  return lines.join('\n');
}

/**
 * A reviewer's "@ticket-processor fix the tests" on a task's PR: the same change stages as a
 * task run (agent, verify, guard, secret scan, commit, push) on the PR branch, with the
 * comment as instructions; no PR is opened. A reply comment says what happened. The task
 * stays in review whatever the outcome.
 */
export async function runFollowUp(
  deps: PipelineDeps,
  req: FollowUpRequest,
  signal: AbortSignal,
): Promise<string> {
  const ctx = createRunContext(deps, {
    kind: 'follow-up',
    task: req.task,
    file: req.file,
    branch: req.branch,
    signal,
    followUp: { prNumber: req.prNumber, author: req.author, text: req.instructions },
  });
  let reply: string;
  let failure: { code: string } | undefined;
  try {
    await resolveTarget(ctx);
    await runStages(ctx, [prepareExistingWorkspace, ...CHANGE_STAGES]);
    await publishReview(ctx, req.prNumber);
    reply = pushedReply(ctx);
  } catch (raw) {
    const e = runError(ctx, raw);
    failure = e;
    if (e.code === 'AGENT_NO_CHANGES' || e.code === 'AGENT_BUDGET') {
      reply = `ticket-processor: no change made for this comment. ${e.message}`;
    } else {
      reply = `ticket-processor: the follow-up run stopped at the ${stepName(ctx)}; nothing was pushed.\n\n${e.message}${e.hint ? `\n\n${e.hint}` : ''}`;
    }
    deps.logger.warn(
      { taskId: req.task.id, prNumber: req.prNumber, code: e.code, step: ctx.step },
      'follow-up run stopped',
    );
  } finally {
    await cleanupWorkspace(ctx, failure);
  }
  const safe = redact(reply, deps.secrets);
  // The repository pushed to: a per-task forge must not guess it from the PR number.
  await deps.forge.comment(req.prNumber, safe, ctx.remote || undefined);
  return safe;
}

/**
 * Schedules follow-up runs for reviewers' comments: in the background, one at a time per task
 * (a second comment waits for the first run), all stopped by one shutdown signal.
 */
export class FollowUps {
  private readonly runs = new Map<string, Promise<unknown>>();

  constructor(
    private readonly deps: PipelineDeps,
    private readonly signal: AbortSignal,
  ) {}

  /** Starts a follow-up run on a task's PR; resolves false when the task is not in review. */
  async start(taskId: string, prNumber: number, instructions: string, author: string): Promise<boolean> {
    const { source, store, config, logger } = this.deps;
    const found = await source.find(taskId);
    if (found?.state !== 'review') return false;
    const read = await source.read(found.file);
    if (!read.ok) return false;
    const task = read.task;
    const branch =
      store.getRun(taskId)?.branch ??
      branchName(config.git.branchNameFormat, { id: task.id, title: task.title });
    const prev = this.runs.get(taskId) ?? Promise.resolve();
    const next = prev
      .catch(() => undefined)
      .then(() =>
        runFollowUp(
          this.deps,
          { task, file: found.file, prNumber, branch, instructions, author },
          this.signal,
        ),
      )
      .catch((err) => logger.error({ err, taskId }, 'follow-up run crashed'));
    this.runs.set(taskId, next);
    return true;
  }

  /** Settles when every follow-up run started so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    await Promise.allSettled(this.runs.values());
  }
}
