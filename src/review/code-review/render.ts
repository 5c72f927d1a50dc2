import { SEVERITIES } from '../../config/schema-runs.js';
import { bySeverity, countBySeverity, type Finding, type Severity } from './schema.js';

/** What a run keeps of its code review for the PR body, the forge and error.json. */
export interface ReviewOutcome {
  status: 'ok' | 'unavailable';
  reason?: string | undefined;
  /** Findings still open after the last round (model and dependency audit). */
  findings: Finding[];
  /** The open findings whose severity counts at the configured strictness. */
  counted: Finding[];
  summary: string;
  model: string | undefined;
  /** Review rounds (1 + fix rounds). */
  rounds: number;
  /** Time and tokens of every round together. */
  durationMs: number;
  promptTokens: number;
  completionTokens: number;
  notes: string[];
  onCritical: 'comment' | 'hold' | 'fix';
}

const ICON: Record<Severity, string> = { critical: '🔴', major: '🟠', minor: '🟡', info: '🔵' };

/** A table cell: one line, no pipe that would end the cell, bounded length. */
function cell(text: string, max = 300): string {
  const one = text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** `file:line`, or the file alone for a remark on the whole file. */
export function where(f: Pick<Finding, 'file' | 'line'>): string {
  return f.line ? `${f.file}:${f.line}` : f.file;
}

/** "1 critical, 2 major" (only severities present), or "none". */
export function severityLine(findings: readonly Finding[]): string {
  const counts = countBySeverity(findings);
  const parts = SEVERITIES.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

/** The findings as a Markdown table, most severe first. */
export function findingsTable(findings: readonly Finding[]): string[] {
  return [
    '| Severity | Category | Where | Finding | Suggestion |',
    '| --- | --- | --- | --- | --- |',
    ...bySeverity(findings).map(
      (f) =>
        `| ${ICON[f.severity]} ${f.severity} | ${f.category} | \`${cell(where(f), 120)}\` | ${cell(f.message)} | ${cell(f.suggestion)} |`,
    ),
  ];
}

/**
 * The "Code review" section of a PR body (or a follow-up reply). An unavailable review says
 * so in its first line: it must never read as a clean one.
 */
export function reviewReport(r: ReviewOutcome): string[] {
  const out = ['### Code review', ''];
  if (r.status === 'unavailable') out.push(`⚠️ Review unavailable: ${r.reason ?? 'unknown reason'}`, '');
  const model = r.model ? `\`${r.model}\`` : 'none';
  out.push(
    `- Model: ${model}, ${r.rounds} round(s), ${(r.durationMs / 1000).toFixed(1)} s, ${r.promptTokens} prompt / ${r.completionTokens} completion tokens`,
    `- Findings: ${severityLine(r.findings)}${r.counted.length > 0 ? ` (${r.counted.length} counted)` : ''}`,
  );
  if (r.summary) out.push(`- Summary: ${cell(r.summary, 500)}`);
  for (const n of r.notes) out.push(`- Note: ${n}`);
  if (r.findings.length > 0) out.push('', ...findingsTable(r.findings));
  else if (r.status === 'ok') out.push('', 'No findings.');
  return out;
}

/** One forge line comment per finding that names a changed line. */
export function lineComments(
  findings: readonly Finding[],
): Array<{ path: string; line: number; body: string }> {
  return bySeverity(findings)
    .filter((f): f is Finding & { line: number } => typeof f.line === 'number')
    .map((f) => ({
      path: f.file,
      line: f.line,
      body: `${ICON[f.severity]} **${f.severity}** (${f.category}): ${f.message}${f.suggestion ? `\n\nSuggestion: ${f.suggestion}` : ''}`,
    }));
}

/** What the agent is told in a fix round: each counted finding, where, and the suggestion. */
export function fixInstructions(findings: readonly Finding[]): string {
  return [
    'A code review of your change found these problems. Fix each one in the code; keep the rest of the change as it is.',
    ...bySeverity(findings).map(
      (f, i) =>
        `\n${i + 1}. [${f.severity}, ${f.category}] ${where(f)}: ${f.message}${f.suggestion ? `\n   Suggestion: ${f.suggestion}` : ''}`,
    ),
  ].join('\n');
}
