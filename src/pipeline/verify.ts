import { commandEnv, type ProcessSandbox, runProcess } from '../sandbox/index.js';
import { redact } from '../secrets/index.js';

export interface VerifyResult {
  command: string;
  ok: boolean;
  exitCode: number | null;
  outputTail: string;
  durationMs: number;
}

export interface VerifyOptions {
  commands: string[];
  /** The task's worktree. */
  cwd: string;
  /** The service's environment; the checks get only its allow-listed part. */
  env: Record<string, string | undefined>;
  /** `agent.env`: further variable names the checks may see. */
  envNames?: readonly string[];
  timeoutMs: number;
  signal: AbortSignal;
  secrets: string[];
  /**
   * The project's sandbox (`createProjectSandbox`): the checks run code the model wrote, so
   * they get the worktree as the only writable place and no network. Mode `none` runs them as is.
   */
  sandbox: ProcessSandbox;
}

const TAIL_CHARS = 4000;

/**
 * Runs the configured checks (tests, linters) in the task's worktree, one after another,
 * sandboxed, and keeps the tail of each output. The checks see only the allow-listed
 * environment, and secrets are removed from the output.
 */
export async function runVerify(opts: VerifyOptions): Promise<VerifyResult[]> {
  const results: VerifyResult[] = [];
  const env = commandEnv(opts.env, opts.envNames);
  for (const command of opts.commands) {
    const r = await runProcess({
      command,
      cwd: opts.cwd,
      env,
      sandbox: { use: opts.sandbox, worktree: opts.cwd, network: false },
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
