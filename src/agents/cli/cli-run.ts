import { TpError } from '../../errors/index.js';
import type { AgentRunInput } from '../types.js';
import { processFailure } from './outcome.js';
import { type ProcessResult, runProcess } from './process-runner.js';
import { resolveBinary } from './resolve-binary.js';

/** Where a CLI agent's binary comes from; shared by every named CLI agent's options. */
export interface BinaryOptions {
  /** Explicit binary path; default: found on PATH or in this package's node_modules/.bin. */
  binPath?: string;
  /** Extra directories to look for the binary in. */
  extraBinDirs?: readonly string[];
  maxOutputBytes?: number;
  killGraceMs?: number;
}

export interface CliRunSpec extends BinaryOptions {
  agent: string;
  binary: string;
  /** The install command named in the "not found" error. */
  install: string;
  /** Environment used to search PATH (the base env). */
  searchEnv: Record<string, string | undefined>;
  /** The child's complete environment. */
  env: Record<string, string | undefined>;
  args: readonly string[];
  onStdout?: (chunk: string) => void;
}

export interface CliRunOutcome {
  res: ProcessResult;
  /** The classified failure, or undefined when the process exited 0. */
  failure: TpError | undefined;
}

/** Resolves the binary (or throws AGENT_NOT_FOUND), runs it in the worktree, classifies the exit. */
export async function runCliAgent(input: AgentRunInput, spec: CliRunSpec): Promise<CliRunOutcome> {
  const notFoundHint = `Install it with \`${spec.install}\` (or set its path), then retry.`;
  const bin = resolveBinary(spec.binary, {
    env: spec.searchEnv,
    explicitPath: spec.binPath,
    extraDirs: spec.extraBinDirs,
  });
  if (!bin) {
    throw new TpError(`${spec.agent} agent: \`${spec.binPath ?? spec.binary}\` was not found`, {
      code: 'AGENT_NOT_FOUND',
      retryable: false,
      taskId: input.task.id,
      hint: notFoundHint,
      details: { searched: 'PATH and node_modules/.bin' },
    });
  }
  const res = await runProcess({
    argv: [bin, ...spec.args],
    cwd: input.workdir,
    env: spec.env,
    timeoutMs: input.budget.timeoutMs,
    signal: input.signal,
    onOutput: (chunk, stream) => {
      if (stream === 'stdout') spec.onStdout?.(chunk);
      input.onOutput?.(chunk);
    },
    maxOutputBytes: spec.maxOutputBytes,
    killGraceMs: spec.killGraceMs,
  });
  const failure = processFailure(res, {
    agent: spec.agent,
    taskId: input.task.id,
    binary: bin,
    notFoundHint,
    timeoutMs: input.budget.timeoutMs,
  });
  return { res, failure };
}

/** A CLI positional argument must never be read as a flag, whatever the task text starts with. */
export function safePositional(text: string): string {
  const trimmed = text.trimStart();
  return trimmed.startsWith('-') ? `Task: ${trimmed}` : trimmed;
}
