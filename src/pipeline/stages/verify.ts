import type { RunContext } from '../run-context.js';
import { runVerify, type VerifyResult, verifyFeedback } from '../verify.js';
import { callAgent, followUpText } from './agent.js';
import { checkGitLink, gitLinkError } from './guard.js';

/** Runs `verify.commands` once in the run's worktree. */
function check(ctx: RunContext): Promise<VerifyResult[]> {
  const { config, env, secrets, sandbox } = ctx.deps;
  return runVerify({
    commands: config.verify.commands,
    cwd: ctx.wt!.dir,
    env,
    envNames: config.agent.env,
    sandbox,
    timeoutMs: config.agent.timeoutMs ?? config.ollama.timeout,
    signal: ctx.signal,
    secrets,
  });
}

/**
 * Runs `verify.commands`; while they fail, sends their output back to the agent (with the
 * reviewer's comment on a follow-up), up to `verify.maxRounds` times. The last results go
 * into the PR body or the follow-up reply either way; failing checks only stop auto-merge.
 * The checks and the rounds may change files, so the change is staged and diffed again.
 */
export async function verify(ctx: RunContext): Promise<void> {
  const { config, workspace } = ctx.deps;
  if (config.verify.commands.length === 0) return;
  const at = {
    model: ctx.model ?? '',
    host: ctx.host ?? '',
    attemptNumber: ctx.attemptNumber,
    signal: ctx.signal,
  };
  const runChecks = async () => {
    ctx.enter('verify');
    const results = await check(ctx);
    // The checks run code the change wrote: no git on the worktree if they replaced its `.git`.
    if (await checkGitLink(ctx)) throw gitLinkError();
    return results;
  };
  let results = await runChecks();
  for (let round = 0; results.some((r) => !r.ok) && round < config.verify.maxRounds; round++) {
    ctx.enter('agent');
    try {
      ctx.agentResult = await callAgent(ctx, at, followUpText(ctx, verifyFeedback(results)));
    } finally {
      await checkGitLink(ctx);
    }
    if (ctx.gitLinkReplaced) throw gitLinkError();
    results = await runChecks();
  }
  ctx.verify = results;
  ctx.diff = await workspace.diff(ctx.wt!);
}
