import { realpathSync } from 'node:fs';
import path from 'node:path';
import { TpError } from '../../errors/index.js';
import { type ProcessResult, type ProcessSandbox, runProcess } from '../../sandbox/index.js';
import type { AgentRunInput } from '../types.js';
import { processFailure } from './outcome.js';
import { resolveBinary } from './resolve-binary.js';

/** Where a CLI agent's binary comes from; shared by every named CLI agent's options. */
export interface BinaryOptions {
  /** Explicit binary path; default: found on PATH or in this package's node_modules/.bin. */
  binPath?: string;
  /** Extra directories to look for the binary in. */
  extraBinDirs?: readonly string[];
  maxOutputBytes?: number;
  killGraceMs?: number;
  /** Confinement of the agent's process (the composition root passes the project's sandbox). */
  sandbox?: ProcessSandbox;
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
  /** Private folders the agent may write besides the worktree (its state). */
  writable?: readonly string[];
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
    sandbox: agentConfinement(spec.sandbox, input, { binary: bin, writable: spec.writable }),
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

/**
 * Where a CLI agent runs in the sandbox: with network (it talks to Ollama), its prompt and task
 * file readable, and its own installation readable even when it lies in a hidden folder (a
 * `node_modules` of the service under HOME, a virtualenv).
 */
export function agentConfinement(
  sandbox: ProcessSandbox | undefined,
  input: AgentRunInput,
  extra: { binary?: string; writable?: readonly string[] } = {},
) {
  if (!sandbox) return undefined;
  const readOnly = [input.promptFile, input.taskFile];
  if (extra.binary) readOnly.push(path.dirname(extra.binary), installRoot(extra.binary));
  return {
    use: sandbox,
    worktree: input.workdir,
    network: true,
    readOnly,
    ...(extra.writable ? { writable: extra.writable } : {}),
  };
}

/** The folder a binary's files live in: its `node_modules`, else the prefix above its `bin/`. */
function installRoot(binary: string): string {
  let real = binary;
  try {
    real = realpathSync(binary);
  } catch {}
  const parts = real.split(path.sep);
  const nm = parts.lastIndexOf('node_modules');
  if (nm > 0) return parts.slice(0, nm + 1).join(path.sep);
  return path.dirname(path.dirname(real));
}

/** A CLI positional argument must never be read as a flag, whatever the task text starts with. */
export function safePositional(text: string): string {
  const trimmed = text.trimStart();
  return trimmed.startsWith('-') ? `Task: ${trimmed}` : trimmed;
}
