import { runProcess, scrubEnv } from '../agents/cli/index.js';
import { redact } from '../workspace/git.js';

export interface VerifyResult {
  command: string;
  ok: boolean;
  exitCode: number | null;
  outputTail: string;
  durationMs: number;
}

export interface VerifyOptions {
  commands: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  timeoutMs: number;
  signal: AbortSignal;
  secrets: string[];
}

const TAIL_CHARS = 4000;

/**
 * Runs the configured checks (tests, linters) in the task's worktree, one after another, and
 * keeps the tail of each output. Secrets are removed from the environment (the checks run
 * code the model wrote) and from the output.
 */
export async function runVerify(opts: VerifyOptions): Promise<VerifyResult[]> {
  const results: VerifyResult[] = [];
  for (const command of opts.commands) {
    const r = await runProcess({
      command,
      cwd: opts.cwd,
      env: scrubEnv(opts.env),
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      maxOutputBytes: 256 * 1024,
    });
    results.push({
      command,
      ok: r.exitCode === 0 && !r.timedOut,
      exitCode: r.exitCode,
      outputTail: redact(r.output.slice(-TAIL_CHARS), opts.secrets),
      durationMs: r.durationMs,
    });
  }
  return results;
}

/** What the agent is told when checks fail: which command, its exit code, the end of its output. */
export function verifyFeedback(results: VerifyResult[]): string {
  const failed = results.filter((r) => !r.ok);
  return [
    'Your change is in place, but these checks fail. Fix the code so that they pass; do not weaken the checks.',
    ...failed.map((r) => `\n$ ${r.command}   (exit ${r.exitCode ?? 'killed'})\n${r.outputTail.trimEnd()}`),
  ].join('\n');
}
