import type { Task } from '../../tasks/types.js';
import type { SizeBucket } from './types.js';

/** Labels that say how big a change usually is; the strongest label of a task counts. */
export const LABEL_POINTS: Readonly<Record<string, number>> = {
  typo: -3,
  docs: -3,
  documentation: -3,
  chore: -2,
  style: -2,
  formatting: -2,
  bug: 0,
  fix: 0,
  bugfix: 0,
  test: 0,
  tests: 0,
  feature: 3,
  enhancement: 3,
  refactor: 3,
  security: 3,
  performance: 3,
  migration: 3,
};

const FILE_EXTENSIONS =
  'ts|tsx|js|jsx|mjs|cjs|json|md|py|go|rs|java|kt|rb|php|c|h|cpp|hpp|cs|swift|sh|yml|yaml|toml|css|scss|html|vue|svelte|sql|txt';
// A path-like token ending in a known extension ("src/app.ts", `README.md`).
const FILE_PATTERN = new RegExp(`(?<![\\w/.-])(?:[\\w.-]+/)*[\\w-]+\\.(?:${FILE_EXTENSIONS})(?![\\w])`, 'gi');

/** The classifier's inputs and result, kept so the choice can be explained. */
export interface Classification {
  size: SizeBucket;
  score: number;
  chars: number;
  criteria: number;
  files: number;
  /** Labels of the task that carry points (lower-cased). */
  labels: string[];
  priority: Task['priority'];
  /** "42 chars, 0 criteria, label typo" */
  signals: string;
}

/** Files named in the task's text (distinct paths with a known extension). */
export function filesNamed(
  task: Pick<Task, 'title' | 'description' | 'body' | 'acceptanceCriteria'>,
): string[] {
  const text = [task.title, task.description, task.body, ...task.acceptanceCriteria].join('\n');
  return [...new Set(text.match(FILE_PATTERN) ?? [])];
}

/**
 * A cheap, explainable size estimate. Points: the strongest label (typo/docs −3 … feature/
 * refactor +3), text length (< 120 chars −1, > 800 +1, > 2000 +2), acceptance criteria (none −1,
 * ≥ 5 +1), files named (2–3 +1, ≥ 4 +2), priority (low −1, high +1). Sum ≤ −2 is small, ≥ 2 large,
 * anything between medium.
 */
export function classifyTask(task: Task): Classification {
  const chars = (task.description.trim() || task.body.trim()).length;
  const criteria = task.acceptanceCriteria.length;
  const files = filesNamed(task).length;
  const labels = task.labels.map((l) => l.toLowerCase()).filter((l) => l in LABEL_POINTS);
  let labelPoints = 0;
  for (const l of labels) {
    const p = LABEL_POINTS[l]!;
    if (Math.abs(p) > Math.abs(labelPoints) || (Math.abs(p) === Math.abs(labelPoints) && p > labelPoints))
      labelPoints = p;
  }
  const lengthPoints = chars < 120 ? -1 : chars > 2000 ? 2 : chars > 800 ? 1 : 0;
  const criteriaPoints = criteria === 0 ? -1 : criteria >= 5 ? 1 : 0;
  const filePoints = files >= 4 ? 2 : files >= 2 ? 1 : 0;
  const priorityPoints = task.priority === 'low' ? -1 : task.priority === 'high' ? 1 : 0;
  const score = labelPoints + lengthPoints + criteriaPoints + filePoints + priorityPoints;
  const size: SizeBucket = score <= -2 ? 'small' : score >= 2 ? 'large' : 'medium';
  const parts = [`${chars} chars`, `${criteria} criteria`];
  if (files > 0) parts.push(`${files} file${files === 1 ? '' : 's'}`);
  if (labels.length > 0) parts.push(`label ${labels.join('+')}`);
  if (task.priority !== 'medium') parts.push(`priority ${task.priority}`);
  return { size, score, chars, criteria, files, labels, priority: task.priority, signals: parts.join(', ') };
}

/** The kinds an outcome is recorded under: every label (`label:<x>`, lower-cased) and the size bucket. */
export function taskKinds(task: Pick<Task, 'labels'>, size: SizeBucket): string[] {
  const labels = [...new Set(task.labels.map((l) => `label:${l.trim().toLowerCase()}`))];
  return [...labels.filter((l) => l !== 'label:'), `size:${size}`];
}
