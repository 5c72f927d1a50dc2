import { lstat, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { classify, TpError } from '../../errors/index.js';
import { protectedPathViolations } from '../../review/index.js';
import type { RunContext } from '../run-context.js';

const GIT_LINK_VIOLATION = '.git (the worktree link to its repository was replaced)';

/**
 * Checks that the worktree's `.git` is still the file the workspace wrote. Called after every
 * agent run and check, before the service runs git there again: a replaced link would point
 * our git (hooks, config, fsmonitor) at a repository the agent made. When it was replaced the
 * original is put back (so cleanup is safe) and the run is marked to fail. Returns true then.
 */
export async function checkGitLink(ctx: RunContext): Promise<boolean> {
  if (!ctx.wt || ctx.gitLink === undefined) return false;
  const file = path.join(ctx.wt.dir, '.git');
  const intact = await lstat(file)
    .then(async (st) => st.isFile() && (await readFile(file, 'utf8')) === ctx.gitLink)
    .catch(() => false);
  if (intact) return false;
  ctx.gitLinkReplaced = true;
  await rm(file, { recursive: true, force: true });
  await writeFile(file, ctx.gitLink);
  return true;
}

/** The run's end when the change touches what only the operator may change. */
export function protectedPathError(violations: readonly string[]): TpError {
  const shown = violations.slice(0, 10);
  return new TpError(
    `The change touches protected git paths: ${shown.join('; ')}${violations.length > shown.length ? '; …' : ''}.`,
    {
      code: 'AGENT_PROTECTED_PATH',
      retryable: false,
      hint: 'Nothing was committed or pushed. Agents may not change .git, .gitmodules, git hooks or the diff/filter/merge drivers in .gitattributes; make such a change by hand.',
    },
  );
}

/** The violation of an attempt that replaced the worktree's `.git`. */
export function gitLinkError(): TpError {
  return protectedPathError([GIT_LINK_VIOLATION]);
}

/** The error a failed run reports: a replaced `.git` wins over whatever the attempt failed with. */
export function runError(ctx: RunContext, raw: unknown): TpError {
  const error = classify(raw);
  return ctx.gitLinkReplaced && error.code !== 'AGENT_PROTECTED_PATH' ? gitLinkError() : error;
}

/**
 * After the agent (and any verify rounds): the change may not touch `.git`, `.gitmodules`,
 * hook paths or `.gitattributes` driver lines, and the worktree's `.git` link must be the one
 * the workspace made. Any violation fails the run, not retryable, before anything is committed.
 */
export async function guard(ctx: RunContext): Promise<void> {
  ctx.enter('review', 'protected-path guard');
  await checkGitLink(ctx);
  const violations = [
    ...(ctx.gitLinkReplaced ? [GIT_LINK_VIOLATION] : []),
    ...protectedPathViolations(ctx.diff),
  ];
  if (violations.length > 0) throw protectedPathError(violations);
}
