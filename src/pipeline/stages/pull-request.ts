import type { OpenPullRequestInput, PullRequestReview } from '../../forges/types.js';
import { changedFiles, checkDefiningFiles } from '../check-files.js';
import { buildPrBody } from '../pr-body.js';
import type { RunContext } from '../run-context.js';
import { renderTemplate } from '../template.js';
import type { PipelineDeps } from '../types.js';
import { needsAttention, postReview, reviewBlockers, reviewPost } from './review.js';

/**
 * Why this run's PR may not be merged automatically: no checks ran, a check failed, the
 * change edits the files that define the checks (then passing them proves nothing), or the
 * code review is unavailable or holds it (`codeReview.onCritical: hold`).
 */
export function autoMergeBlockers(ctx: RunContext): string[] {
  return [...checkBlockers(ctx), ...reviewBlockers(ctx)];
}

function checkBlockers(ctx: RunContext): string[] {
  const { verify } = ctx;
  if (!verify || verify.length === 0) return ['no checks ran in this run (verify.commands)'];
  const failed = verify.filter((v) => !v.ok);
  if (failed.length > 0) return [`${failed.length} of ${verify.length} checks failed`];
  const touched = checkDefiningFiles(changedFiles(ctx.diff), ctx.deps.config.verify.commands);
  if (touched.length > 0) {
    const shown = touched.slice(0, 10).join(', ');
    return [`the change edits files that define the checks (${shown}${touched.length > 10 ? ', …' : ''})`];
  }
  return [];
}

/** The label of a PR the code review holds (`codeReview.onCritical: hold`). */
export const NEEDS_ATTENTION = 'needs-attention';

/**
 * What opening the run's PR takes, computed where the run happened: the PR (title, body with
 * the run report, labels) and the review to post on it. Plain data, so a coordinator can open
 * it for a worker (the local forge keeps its PRs in the coordinator's store).
 */
export interface PrRequest {
  input: OpenPullRequestInput;
  review: PullRequestReview | undefined;
}

/** The run's PR request; also sets `ctx.autoMergeBlockers`. */
export function planPullRequest(ctx: RunContext): PrRequest {
  const { config, secrets } = ctx.deps;
  const { task } = ctx;
  ctx.autoMergeBlockers = config.webhook.autoMergePR ? autoMergeBlockers(ctx) : [];
  const body = buildPrBody(config.git.prBody, {
    task,
    model: ctx.model ?? 'unknown',
    attempts: ctx.attempts,
    agent: ctx.agentResult,
    elapsedMs: Date.now() - ctx.started,
    secrets,
    ...(ctx.verify ? { verify: ctx.verify } : {}),
    notAutoMerged: ctx.autoMergeBlockers,
    ...(ctx.review ? { review: ctx.review } : {}),
    ...(ctx.selectionReason ? { selectionReason: ctx.selectionReason } : {}),
  });
  return {
    input: {
      title: renderTemplate(config.git.prTitle, { id: task.id, title: task.title }),
      body,
      head: ctx.branch,
      base: ctx.baseBranch,
      labels: needsAttention(ctx) ? [...new Set([...task.labels, NEEDS_ATTENTION])] : task.labels,
      taskId: task.id,
      remote: ctx.remote,
    },
    review: reviewPost(ctx),
  };
}

/**
 * Finds the branch's open PR (a resumed run) or opens one, records it on the run and posts the
 * review: idempotent by head branch, so a second call (a re-run, a re-applied result) reuses it.
 */
export async function publishPullRequest(
  deps: Pick<PipelineDeps, 'forge' | 'store' | 'logger'>,
  req: PrRequest,
): Promise<{ number: number; url: string }> {
  const { forge, store } = deps;
  const { input } = req;
  const pr = (await forge.findPullRequest(input.head, input.remote)) ?? (await forge.openPullRequest(input));
  store.upsertRun({ taskId: input.taskId, prNumber: pr.number, prUrl: pr.url, state: 'published' });
  await postReview(deps, { taskId: input.taskId, prNumber: pr.number, remote: input.remote }, req.review);
  return { number: pr.number, url: pr.url };
}

/**
 * The PR stage. With `git.createPR: false` the pushed branch is the result: no PR, so nothing
 * to merge. With `deferPullRequests` (a worker in front of the local forge) the request is
 * kept in `ctx.prRequest` for the coordinator to open.
 */
export async function openPullRequest(ctx: RunContext): Promise<void> {
  ctx.enter('pull-request');
  const { config, store } = ctx.deps;
  if (!config.git.createPR) {
    store.upsertRun({ taskId: ctx.task.id, state: 'published' });
    return;
  }
  const req = planPullRequest(ctx);
  if (ctx.deps.deferPullRequests) ctx.prRequest = req;
  else ctx.pr = await publishPullRequest(ctx.deps, req);
}
