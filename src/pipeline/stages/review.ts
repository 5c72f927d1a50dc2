import path from 'node:path';
import { classify, TpError } from '../../errors/index.js';
import type { Forge, PullRequestReview } from '../../forges/types.js';
import type { Logger } from '../../observability/index.js';
import {
  type AuditOutcome,
  COUNTED,
  countBySeverity,
  dependencyDirs,
  type Finding,
  fixInstructions,
  lineComments,
  type ReviewResult,
  reviewBlockedError,
  runDependencyAudit,
  severityLine,
} from '../../review/index.js';
import { commandEnv, isWithin, runProcess } from '../../sandbox/index.js';
import { redact } from '../../secrets/index.js';
import { changedFiles } from '../check-files.js';
import type { RunContext } from '../run-context.js';
import { callAgent, followUpText } from './agent.js';
import { checkGitLink, gitLinkError, guard } from './guard.js';
import { secretScan } from './secret-scan.js';
import { verify } from './verify.js';

/** Manifests audited per change at most (a monorepo bump must not run npm fifty times). */
const MAX_AUDITS = 5;

/**
 * `npm audit --json` for each changed manifest folder, sandboxed: the worktree is the only
 * writable place and the service's HOME (a user `.npmrc` token) is hidden; the network is kept
 * because the audit asks the registry. `agent.env` names pass (e.g. `npm_config_registry`).
 */
async function dependencyAudit(ctx: RunContext): Promise<AuditOutcome> {
  const { config, env, sandbox, secrets } = ctx.deps;
  const worktree = ctx.wt!.dir;
  const dirs = dependencyDirs(changedFiles(ctx.diff)).filter((d) =>
    isWithin(worktree, path.resolve(worktree, d)),
  );
  const out: AuditOutcome = { findings: [], notes: [] };
  const timeoutMs = Math.min(config.codeReview.timeoutMs, 120_000);
  for (const dir of dirs.slice(0, MAX_AUDITS)) {
    const r = await runDependencyAudit({
      dir,
      timeoutMs,
      secrets,
      exec: async (d) => {
        const p = await runProcess({
          // npm's log lines go to stderr; the report (or its error) is the JSON on stdout.
          command: 'npm audit --json 2>/dev/null',
          cwd: path.resolve(worktree, d),
          env: commandEnv(env, config.agent.env),
          sandbox: { use: sandbox, worktree, network: true },
          timeoutMs,
          signal: ctx.signal,
          maxOutputBytes: 4 * 1024 * 1024,
        });
        return { output: p.output, exitCode: p.exitCode, timedOut: p.timedOut, spawnError: p.spawnError };
      },
    });
    out.findings.push(...r.findings);
    out.notes.push(...r.notes);
  }
  if (dirs.length > MAX_AUDITS)
    out.notes.push(`dependency audit: only ${MAX_AUDITS} of ${dirs.length} manifests audited`);
  return out;
}

/** One review round: the model's review, plus the dependency audit when manifests changed. */
async function reviewRound(ctx: RunContext, round: number): Promise<ReviewResult> {
  const { config, reviewer, events, logger } = ctx.deps;
  ctx.enter('review', 'code review');
  const result = await reviewer!.review({ task: ctx.task, diff: ctx.diff, signal: ctx.signal });
  const audit = config.codeReview.dependencyAudit ? await dependencyAudit(ctx) : { findings: [], notes: [] };
  const merged: ReviewResult = {
    ...result,
    findings: [...audit.findings, ...result.findings],
    notes: [...result.notes, ...audit.notes],
  };
  events.emit('review.completed', {
    taskId: ctx.task.id,
    file: path.basename(ctx.file),
    status: merged.status,
    round,
    ...(merged.model ? { model: merged.model } : {}),
    durationMs: merged.durationMs,
    promptTokens: merged.promptTokens,
    completionTokens: merged.completionTokens,
    findings: countBySeverity(merged.findings),
    ...(merged.reason ? { error: merged.reason } : {}),
  });
  logger.info(
    { taskId: ctx.task.id, round, status: merged.status, model: merged.model, reason: merged.reason },
    `code review round ${round}: ${merged.status === 'ok' ? severityLine(merged.findings) : `unavailable (${merged.reason})`}`,
  );
  return merged;
}

/**
 * One fix round: the counted findings go back to the agent (same model and host as the
 * change), then the change is diffed, checked and scanned again exactly as after the agent's
 * first run, so a fix cannot slip past the checks, the protected-path guard or the secret scan.
 */
async function fixRound(ctx: RunContext, findings: readonly Finding[]): Promise<void> {
  const { workspace } = ctx.deps;
  const at = {
    model: ctx.model ?? '',
    host: ctx.host ?? '',
    attemptNumber: ctx.attemptNumber,
    signal: ctx.signal,
  };
  ctx.enter('agent');
  try {
    ctx.agentResult = await callAgent(ctx, at, followUpText(ctx, fixInstructions(findings)));
  } finally {
    await checkGitLink(ctx);
  }
  if (ctx.gitLinkReplaced) throw gitLinkError();
  ctx.diff = await workspace.diff(ctx.wt!);
  if (ctx.diff.trim() === '') {
    throw new TpError('The code-review fix round removed the whole change.', {
      code: 'AGENT_NO_CHANGES',
      retryable: false,
    });
  }
  await verify(ctx);
  await guard(ctx);
  await secretScan(ctx);
}

/**
 * The LLM code review (`codeReview`), after the guard and the secret scan, before the commit.
 * Counted findings (severities per `strictness`) go back to the agent for up to
 * `maxFixRounds` rounds when `onCritical` is `fix`; what is still open is kept in `ctx.review`
 * for the PR (body, line comments, `hold` label, auto-merge). With `blockOnCritical`, an open
 * critical finding ends the run before anything is committed or pushed.
 */
export async function review(ctx: RunContext): Promise<void> {
  const { config, reviewer } = ctx.deps;
  const cr = config.codeReview;
  if (!cr.enabled || !reviewer) return;
  const counts = COUNTED[cr.strictness];
  const countedOf = (r: ReviewResult) => r.findings.filter((f) => counts.includes(f.severity));
  const totals = { durationMs: 0, promptTokens: 0, completionTokens: 0 };
  let round = 1;
  let result = await reviewRound(ctx, round);
  const add = (r: ReviewResult) => {
    totals.durationMs += r.durationMs;
    totals.promptTokens += r.promptTokens;
    totals.completionTokens += r.completionTokens;
  };
  add(result);
  while (
    cr.onCritical === 'fix' &&
    result.status === 'ok' &&
    countedOf(result).length > 0 &&
    round <= cr.maxFixRounds
  ) {
    await fixRound(ctx, countedOf(result));
    round++;
    result = await reviewRound(ctx, round);
    add(result);
  }
  ctx.review = {
    status: result.status,
    reason: result.reason,
    findings: result.findings,
    counted: countedOf(result),
    summary: result.summary,
    model: result.model,
    rounds: round,
    ...totals,
    notes: result.notes,
    onCritical: cr.onCritical,
  };
  const critical = result.findings.filter((f) => f.severity === 'critical');
  if (cr.blockOnCritical && critical.length > 0) throw reviewBlockedError(critical, result.findings);
}

/** Whether the PR gets the `needs-attention` label (`onCritical: hold` with something open). */
export function needsAttention(ctx: RunContext): boolean {
  const r = ctx.review;
  return r?.onCritical === 'hold' && (r.counted.length > 0 || r.status === 'unavailable');
}

/** Why the code review keeps the PR from being merged automatically. */
export function reviewBlockers(ctx: RunContext): string[] {
  const r = ctx.review;
  if (!r) return [];
  if (r.status === 'unavailable') return [`the code review is unavailable (${r.reason ?? 'unknown reason'})`];
  if (r.onCritical === 'hold' && r.counted.length > 0)
    return [`the code review holds it: ${r.counted.length} open finding(s) (codeReview.onCritical "hold")`];
  return [];
}

/**
 * The forge review of the run's open findings: a summary and one line comment per finding on
 * a changed line (redacted); undefined when there is nothing to post.
 */
export function reviewPost(ctx: RunContext): PullRequestReview | undefined {
  const { secrets } = ctx.deps;
  const r = ctx.review;
  if (!r || r.findings.length === 0) return undefined;
  const comments = lineComments(r.findings).map((c) => ({ ...c, body: redact(c.body, secrets) }));
  const body = redact(
    `ticket-processor code review (${r.model ?? 'no model'}): ${severityLine(r.findings)}. See the PR description for the full table.`,
    secrets,
  );
  return { body, comments, ...(ctx.commitSha ? { commitSha: ctx.commitSha } : {}) };
}

/**
 * Puts a review on the PR. A failure is logged: the body already carries every finding.
 */
export async function postReview(
  deps: { forge: Forge; logger: Logger },
  at: { taskId: string; prNumber: number; remote: string | undefined },
  post: PullRequestReview | undefined,
): Promise<void> {
  if (!post) return;
  try {
    await deps.forge.addReview(at.prNumber, post, at.remote || undefined);
  } catch (err) {
    deps.logger.warn(
      { taskId: at.taskId, prNumber: at.prNumber, err: classify(err).message },
      'code review comments could not be posted; the PR body lists the findings',
    );
  }
}

/** Puts the run's open findings on the PR (see `reviewPost`, `postReview`). */
export async function publishReview(ctx: RunContext, prNumber: number): Promise<void> {
  await postReview(ctx.deps, { taskId: ctx.task.id, prNumber, remote: ctx.remote }, reviewPost(ctx));
}
