import { TpError } from '../../errors/index.js';
import type { ProcessResult } from '../../sandbox/index.js';
import { looksTransient } from './transient.js';

/** Bytes of output carried in errors and results: enough for a stack trace, small for a log. */
export const OUTPUT_TAIL_BYTES = 8 * 1024;

export function tailOf(output: string, maxBytes = OUTPUT_TAIL_BYTES): string {
  const buf = Buffer.from(output);
  if (buf.length <= maxBytes) return output;
  return buf
    .subarray(buf.length - maxBytes)
    .toString('utf8')
    .replace(/^\uFFFD+/, '');
}

export interface OutcomeContext {
  /** Agent name for messages (`kilo`, `command`, …). */
  agent: string;
  taskId: string;
  /** The program that was started, for "not found" messages. */
  binary: string;
  /** The fix for a missing binary, one sentence naming the install command. */
  notFoundHint: string;
  timeoutMs: number;
}

/**
 * Turns a finished process into the error the pipeline should see, or `undefined` when it
 * succeeded. Exit 127 is how `sh -c` reports an unknown command, so it counts as "not found"
 * just like a spawn `ENOENT`.
 */
export function processFailure(res: ProcessResult, ctx: OutcomeContext): TpError | undefined {
  const outputTail = tailOf(res.output);
  const details = {
    exitCode: res.exitCode,
    signal: res.signal,
    durationMs: res.durationMs,
    outputTail,
  };
  if (res.spawnError?.code === 'ENOENT' || res.exitCode === 127) {
    return new TpError(`${ctx.agent} agent: \`${ctx.binary}\` was not found`, {
      code: 'AGENT_NOT_FOUND',
      retryable: false,
      taskId: ctx.taskId,
      details,
      hint: ctx.notFoundHint,
    });
  }
  if (res.spawnError) {
    return new TpError(`${ctx.agent} agent: could not start \`${ctx.binary}\`: ${res.spawnError.message}`, {
      code: 'AGENT_FAILED',
      retryable: false,
      taskId: ctx.taskId,
      details: { ...details, errno: res.spawnError.code },
      hint: 'Check that the binary is executable and the worktree exists.',
    });
  }
  if (res.aborted) {
    return new TpError(`${ctx.agent} agent: run aborted`, {
      code: 'ABORTED',
      retryable: true,
      taskId: ctx.taskId,
      details,
    });
  }
  if (res.timedOut) {
    return new TpError(`${ctx.agent} agent: no result after ${ctx.timeoutMs} ms; process group terminated`, {
      code: 'AGENT_TIMEOUT',
      retryable: true,
      taskId: ctx.taskId,
      details,
      hint: 'Raise agent.timeoutMs, use a smaller model, or split the task.',
    });
  }
  if (res.exitCode !== 0) {
    const how = res.signal ? `was killed by ${res.signal}` : `exited with code ${res.exitCode}`;
    const transient = looksTransient(res.output);
    return new TpError(`${ctx.agent} agent ${how}`, {
      code: 'AGENT_FAILED',
      retryable: transient,
      taskId: ctx.taskId,
      details: { ...details, transient },
      hint: transient
        ? 'The model server looked unreachable or busy; the run will be retried.'
        : 'See the output tail in the error log for what the agent reported.',
    });
  }
  return undefined;
}

/** The last non-empty line of output, trimmed, as a one-line summary. */
export function lastLine(output: string, max = 200): string {
  const lines = output.split(/\r?\n/).filter((l) => l.trim() !== '');
  const line = lines.at(-1)?.trim() ?? '';
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
