import type { AgentResult } from '../agents/types.js';
import type { FailureAttempt } from '../intake/types.js';
import { type ReviewOutcome, reviewReport } from '../review/index.js';
import { redact } from '../secrets/index.js';
import type { Task } from '../tasks/types.js';
import { renderTemplate } from './template.js';

export interface PrBodyInput {
  task: Task;
  model: string;
  attempts: FailureAttempt[];
  agent: AgentResult | undefined;
  elapsedMs: number;
  secrets: string[];
  verify?: CheckResult[];
  /** Why the PR is left for a person although auto-merge is on (empty: it may be merged). */
  notAutoMerged?: string[];
  /** The code review's outcome (its section follows the checks). */
  review?: ReviewOutcome;
  /** Why this model was chosen (model selection), one line. */
  selectionReason?: string;
}

/** One configured check's outcome, as reports show it. */
export interface CheckResult {
  command: string;
  ok: boolean;
  outputTail: string;
}

/** The "Checks" section of a PR body or a follow-up reply: one line per command, the output tail of failures. */
export function checksReport(verify: readonly CheckResult[]): string[] {
  const out = ['### Checks'];
  for (const v of verify) {
    out.push(`- ${v.ok ? '✅' : '❌'} \`${v.command}\``);
    if (!v.ok)
      out.push(
        '',
        '  <details><summary>output (tail)</summary>',
        '',
        '  ```',
        v.outputTail
          .trimEnd()
          .split('\n')
          .slice(-40)
          .map((l) => `  ${l}`)
          .join('\n'),
        '  ```',
        '  </details>',
        '',
      );
  }
  return out;
}

/** The PR body: the configured template, then a run report (model, attempts, tokens, time, checks). */
export function buildPrBody(template: string, input: PrBodyInput): string {
  const { task } = input;
  const ac = task.acceptanceCriteria.map((c) => `- [ ] ${c}`).join('\n') || '_none given_';
  const head = renderTemplate(template, {
    id: task.id,
    title: task.title,
    description: task.description.trim(),
    acceptanceCriteria: ac,
    model: input.model,
  });
  const report = [
    '',
    '## Run report',
    '',
    `- Model: \`${input.model}\``,
    ...(input.selectionReason ? [`- Model choice: ${input.selectionReason}`] : []),
    `- Time: ${(input.elapsedMs / 1000).toFixed(1)} s`,
  ];
  report.push(`- Attempts: ${input.attempts.length + 1} (${input.attempts.length} failed before this one)`);
  if (input.agent?.tokens)
    report.push(`- Tokens: ${input.agent.tokens.prompt} prompt, ${input.agent.tokens.completion} completion`);
  if (input.agent?.summary) report.push(`- Agent summary: ${input.agent.summary.split('\n')[0]}`);
  for (const a of input.attempts)
    report.push(`  - attempt ${a.attemptNumber} (${a.model}) failed: ${a.code}`);
  if (input.notAutoMerged?.length)
    report.push(`- Not auto-merged: ${input.notAutoMerged.join('; ')}. Left for a person to review.`);
  if (input.review) {
    const r = input.review;
    const tokens = r.promptTokens + r.completionTokens;
    report.push(
      r.status === 'ok'
        ? `- Code review: ${r.findings.length} finding(s) in ${r.rounds} round(s), ${(r.durationMs / 1000).toFixed(1)} s, ${tokens} tokens`
        : `- Code review: ⚠️ unavailable (${r.reason ?? 'unknown reason'})`,
    );
  }
  if (input.verify?.length) report.push('', ...checksReport(input.verify));
  if (input.review) report.push('', ...reviewReport(input.review));
  return redact([head, ...report].join('\n'), input.secrets);
}
