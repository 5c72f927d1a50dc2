import { z } from 'zod';
import { REVIEW_CATEGORIES, SEVERITIES } from '../../config/schema-runs.js';

/** How bad a finding is, most severe first. */
export type Severity = (typeof SEVERITIES)[number];
/** What a finding is about; `acceptance`: the change does not do what the task asks. */
export type ReviewCategory = (typeof REVIEW_CATEGORIES)[number];

/** One finding as the review model must reply it (and as reports show it). */
export const findingSchema = z.object({
  severity: z.enum(SEVERITIES),
  category: z.enum(REVIEW_CATEGORIES),
  file: z.string().min(1),
  /** Line in the new version of the file; null/absent for a remark on the whole file. */
  line: z.number().int().positive().nullable().optional(),
  message: z.string().min(1),
  suggestion: z.string(),
});

/** The whole reply of one review request. */
export const reviewReplySchema = z.object({
  findings: z.array(findingSchema),
  summary: z.string(),
});

export type ReviewReply = z.infer<typeof reviewReplySchema>;

/** A finding after validation against the diff: `line` is undefined when it names no changed line. */
export interface Finding {
  severity: Severity;
  category: ReviewCategory;
  file: string;
  line: number | undefined;
  message: string;
  suggestion: string;
  /** Where it came from: the review model or the dependency audit. */
  source: 'model' | 'audit';
}

/**
 * The reply schema as JSON Schema, for Ollama's `format` (structured output). The same zod
 * schema validates the reply, so what the model is constrained to and what we accept agree.
 */
export const REVIEW_REPLY_JSON_SCHEMA: Record<string, unknown> = (() => {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(reviewReplySchema) as Record<string, unknown>;
  return schema;
})();

/** Severities that count (act on `onCritical`) at each `codeReview.strictness`. */
export const COUNTED: Record<'low' | 'medium' | 'high', readonly Severity[]> = {
  low: ['critical'],
  medium: ['critical', 'major'],
  high: ['critical', 'major', 'minor'],
};

/** Findings per severity, every severity present (zero when none). */
export function countBySeverity(findings: readonly Pick<Finding, 'severity'>[]): Record<Severity, number> {
  const out = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) out[f.severity]++;
  return out;
}

/** Orders findings most severe first (stable otherwise). */
export function bySeverity<T extends Pick<Finding, 'severity'>>(findings: readonly T[]): T[] {
  return [...findings].sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity));
}

/** The zod error of an invalid reply in a few lines the model can act on. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 10)
    .map((i) => `- ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('\n');
}
