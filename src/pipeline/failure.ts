import path from 'node:path';
import type { TpError } from '../errors/index.js';
import type { EventBus } from '../events/index.js';
import type { FailureAttempt, FailureFinding, FailureReport, TaskSource } from '../intake/types.js';
import { redact } from '../secrets/index.js';
import type { Store } from '../store/index.js';

export interface FailureContext {
  taskId: string;
  filename: string;
  error: TpError;
  stage: string | undefined;
  model: string | undefined;
  retryCount: number;
  attempts: FailureAttempt[];
  outputTail: string | undefined;
  secrets: string[];
  line?: number | undefined;
  errorType?: FailureReport['errorType'];
}

const DEFAULT_HINTS: Record<string, string> = {
  AGENT_NO_CHANGES:
    'The agent finished without changing any file. Make the ticket more specific (files, functions, expected behaviour), then run `ticket-processor retry-failed --task-id {id}`.',
  AGENT_FAILED:
    'Read the agent output below; fix the cause, then run `ticket-processor retry-failed --task-id {id}`.',
  AGENT_TIMEOUT:
    'The agent ran out of time. Raise agent.timeoutMs (or ollama.timeout) or split the ticket, then retry.',
  TASK_INVALID: 'Fix the task file at the line shown, then move it back to the todo folder.',
  REVIEW_BLOCKED:
    'Nothing was pushed. Read the findings in error.json, then run `ticket-processor retry-failed --task-id {id}`.',
  PUSH_FAILED:
    'Check the remote and its credentials, then run `ticket-processor retry-failed --task-id {id}`.',
};

/**
 * error.json: our report plus the fields of the original tool's JSON `.error.log`
 * (`timestamp`, `filename`, `error` are shared), so scripts written for it still work.
 */
export interface ErrorReport extends FailureReport {
  /** The original's name for the agent's output: an alias of `outputTail` ("" when there was none). */
  stderr: string;
}

/** Builds error.json (machine) and error.log (human) for a failed task, with secrets redacted. */
export function failureFiles(ctx: FailureContext): { report: ErrorReport; log: string } {
  const blocked = ctx.error.code === 'REVIEW_BLOCKED';
  const findings = blocked ? ctx.error.details.findings : undefined;
  const r = (s: string | undefined) => (s === undefined ? undefined : redact(s, ctx.secrets));
  const hint = (
    ctx.error.hint ??
    DEFAULT_HINTS[ctx.error.code] ??
    'Fix the cause above, then run `ticket-processor retry-failed --task-id {id}`.'
  ).replaceAll('{id}', ctx.taskId);
  const report: ErrorReport = {
    taskId: ctx.taskId,
    filename: ctx.filename,
    timestamp: new Date().toISOString(),
    error: r(ctx.error.message)!,
    errorType: ctx.errorType ?? (blocked ? 'review' : ctx.error.errorType),
    code: ctx.error.code,
    retryable: ctx.error.retryable,
    retryCount: ctx.retryCount,
    model: ctx.model,
    stage: ctx.stage,
    hint,
    line: ctx.line,
    attempts: ctx.attempts.map((a) => ({ ...a, error: r(a.error)! })),
    outputTail: r(ctx.outputTail),
    stderr: r(ctx.outputTail) ?? '',
    ...(findings ? { findings: JSON.parse(r(JSON.stringify(findings))!) as FailureFinding[] } : {}),
  };
  const lines = [
    `Task ${ctx.taskId} (${ctx.filename}) failed${ctx.stage ? ` at stage "${ctx.stage}"` : ''}.`,
    '',
    `What happened: ${report.error}`,
    `Error code:    ${report.code} (${report.errorType}${report.retryable ? ', retryable' : ', not retryable'})`,
    `When:          ${report.timestamp}`,
    ctx.model ? `Model:         ${ctx.model}` : '',
    ctx.line ? `Line:          ${ctx.line}` : '',
    `Retries so far: ${ctx.retryCount}`,
    '',
    `What to do: ${hint}`,
  ];
  if (report.attempts.length > 0) {
    lines.push('', 'Attempts:');
    for (const a of report.attempts) {
      lines.push(
        `  ${a.attemptNumber}. ${a.model}${a.host ? ` @ ${a.host}` : ''}: ${a.code} (${a.errorType}, ${a.durationMs} ms) ${a.error}`,
      );
    }
  }
  if (report.findings?.length) {
    lines.push('', 'Open code review findings:');
    for (const f of report.findings)
      lines.push(`  - [${f.severity}, ${f.category}] ${f.file}${f.line ? `:${f.line}` : ''}: ${f.message}`);
  }
  if (report.outputTail) lines.push('', 'Last lines of the agent output:', report.outputTail.trimEnd());
  return {
    report,
    log: `${lines.filter((l, i, a) => !(l === '' && a[i - 1] === '')).join('\n')}\n`,
  };
}

/** What failing a task needs: built once in the composition root, shared with completion. */
export interface FailureDeps {
  source: TaskSource;
  store: Store;
  events: EventBus;
  secrets: string[];
}

export interface FailTaskInput {
  taskId: string;
  /** Where the task file is now (doing/, todo/, review/). */
  file: string;
  error: TpError;
  stage: string | undefined;
  model?: string | undefined;
  /** Failed model attempts: written to error.json and stored. */
  attempts?: FailureAttempt[] | undefined;
  outputTail?: string | undefined;
  errorType?: FailureReport['errorType'];
  /** The task file's line at fault (intake). */
  line?: number | undefined;
  /**
   * Whose run the store holds under `taskId`. `owned`: this failure's (a run in progress, a
   * task in review). `if-same-file`: intake, where the id may belong to another task (a
   * duplicate), so only a run recorded under this file name is updated.
   */
  run: 'owned' | 'if-same-file';
  /**
   * `failed`: a run failed (`task.failed`). `invalid`: intake refused the file
   * (`task.invalid`, with `summary` as the progress line, default the error message).
   */
  event: { kind: 'failed'; elapsedMs: number } | { kind: 'invalid'; summary?: string | undefined };
}

/**
 * The one failure path of every stage, intake and a rejected PR: error.json and error.log
 * (secrets redacted), the task file to failed/, the attempts and the run's state in the
 * store, one event. Resolves with where the file went and the report.
 */
export async function failTask(
  deps: FailureDeps,
  input: FailTaskInput,
): Promise<{ file: string; report: ErrorReport }> {
  const { source, store, events } = deps;
  const filename = path.basename(input.file);
  const prev = store.getRun(input.taskId);
  const ownRun = input.run === 'owned' || (prev !== undefined && prev.file === filename);
  const attempts = input.attempts ?? [];
  const { report, log } = failureFiles({
    taskId: input.taskId,
    filename,
    error: input.error,
    stage: input.stage,
    model: input.model,
    retryCount: ownRun ? (prev?.retryCount ?? 0) : 0,
    attempts,
    outputTail: input.outputTail,
    secrets: deps.secrets,
    line: input.line,
    errorType: input.errorType,
  });
  if (ownRun) {
    for (const a of report.attempts)
      store.addAttempt({ taskId: input.taskId, startedAt: new Date().toISOString(), ...a });
  }
  const file = await source.toFailed(input.file, report, log);
  if (ownRun) store.upsertRun({ taskId: input.taskId, state: 'failed', error: report.error });
  if (input.event.kind === 'failed') {
    events.emit('task.failed', {
      taskId: input.taskId,
      file: filename,
      code: input.error.code,
      error: report.error,
      retryable: input.error.retryable,
      elapsedMs: input.event.elapsedMs,
    });
  } else {
    events.emit('task.invalid', {
      taskId: input.taskId,
      file: filename,
      error: input.event.summary ?? report.error,
      ...(input.line ? { line: input.line } : {}),
    });
  }
  return { file, report };
}
