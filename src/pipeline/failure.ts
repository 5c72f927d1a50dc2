import type { TpError } from '../errors/index.js';
import type { FailureAttempt, FailureFinding, FailureReport } from '../intake/types.js';
import { redact } from '../secrets/index.js';

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

/** Builds error.json (machine) and error.log (human) for a failed task, with secrets redacted. */
export function failureFiles(ctx: FailureContext): { report: FailureReport; log: string } {
  const blocked = ctx.error.code === 'REVIEW_BLOCKED';
  const findings =
    blocked && Array.isArray(ctx.error.details.findings) ? ctx.error.details.findings : undefined;
  const r = (s: string | undefined) => (s === undefined ? undefined : redact(s, ctx.secrets));
  const hint = (
    ctx.error.hint ??
    DEFAULT_HINTS[ctx.error.code] ??
    'Fix the cause above, then run `ticket-processor retry-failed --task-id {id}`.'
  ).replaceAll('{id}', ctx.taskId);
  const report: FailureReport = {
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
