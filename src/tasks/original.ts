import { stringify } from 'yaml';
import { TpError } from '../errors/index.js';
import { checklistItems, SECTIONS, sectionText } from './backlog-sections.js';
import { FieldReader } from './fields.js';
import { parseFrontmatterYaml, splitFrontmatter } from './frontmatter.js';
import { normalizeTaskRef, taskIdFromFileName } from './ids.js';
import type { Priority, Task, TaskProblem } from './types.js';

/** Outcome of parsing one task file: the task, or every problem found (with file lines). */
export type ParseResult = { ok: true; task: Task } | { ok: false; problems: TaskProblem[] };

/** What a caller (create-task, bulk-create, API) supplies to write a new task file. */
export interface NewTaskInput {
  title: string;
  description?: string;
  priority?: Priority;
  model?: string;
  suggestedModels?: string[];
  labels?: string[];
  acceptanceCriteria?: string[];
  dependencies?: string[];
  estimatedHours?: number;
  assignee?: string;
  repo?: string;
  baseBranch?: string;
  /** ISO timestamp; the caller supplies it so this module stays free of clocks. */
  createdAt?: string;
  /** Markdown after the frontmatter; defaults to a `# Title` heading. */
  body?: string;
}

/**
 * Parses a task in the original format: YAML frontmatter + Markdown body, id taken from
 * the file name with `extractRegex`. Every problem carries the 1-based line in the FILE
 * it points at (the frontmatter starts at line 2).
 */
export function parseOriginalTask(
  text: string,
  opts: { fileName: string; extractRegex: string },
): ParseResult {
  const problems: TaskProblem[] = [];
  const id = taskIdFromFileName(opts.fileName, opts.extractRegex);
  if (id === undefined) {
    problems.push({
      message:
        `file name "${opts.fileName}" carries no task id: name it like "task-<number> - <title>.md" ` +
        `(taskIdFormat.extractRegex is ${opts.extractRegex})`,
      field: 'id',
    });
  }

  const split = splitFrontmatter(text);
  if (split.kind === 'none') {
    problems.push({
      message:
        'no frontmatter: the file must start with a "---" line, then "title: ...", then a closing "---" line',
      line: 1,
    });
    return { ok: false, problems };
  }
  if (split.kind === 'unterminated') {
    problems.push({
      message:
        'frontmatter opened with "---" at line 1 is never closed: add a "---" line after the last field',
      line: 1,
    });
    return { ok: false, problems };
  }
  const parsed = parseFrontmatterYaml(split.yaml, split.yamlStartLine);
  if (!parsed.ok) return { ok: false, problems: [...problems, ...parsed.problems] };

  const f = new FieldReader(parsed.value);
  const task: Task = {
    id: id ?? '',
    title: f.requiredString('title', 'Add user authentication'),
    status: f.string('status')?.trim(),
    priority: f.priority('priority'),
    model: f.string('model')?.trim(),
    suggestedModels: f.list('suggestedModels'),
    modelPreference: f.string('modelPreference')?.trim(),
    description: (f.string('description') ?? '').trimEnd(),
    acceptanceCriteria: f.list('acceptanceCriteria'),
    labels: f.list('labels'),
    dependencies: f.dependencies('dependencies'),
    estimatedHours: f.number('estimatedHours'),
    assignee: readAssignee(f),
    createdAt: f.timestamp('createdAt'),
    repo: f.string('repo')?.trim(),
    baseBranch: f.string('baseBranch')?.trim(),
    body: trimBody(split.body),
    format: 'folders',
  };
  fillFromBacklogSections(task, split.body, f);
  if (id !== undefined && task.dependencies.includes(id)) {
    f.problem('dependencies', `task ${id} lists itself in dependencies: remove it`);
  }
  problems.push(...f.problems);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, task };
}

/**
 * The original docs tell users to create a file with `backlog task create` and move it into
 * `todo/`; such a file keeps its description and criteria in Backlog.md body sections and
 * its date in `created_date`. Frontmatter values win; the sections fill what is missing.
 */
function fillFromBacklogSections(task: Task, rawBody: string, f: FieldReader): void {
  const body = rawBody.replace(/\r\n/g, '\n');
  if (!task.description) task.description = sectionText(body, SECTIONS.description) ?? '';
  if (task.acceptanceCriteria.length === 0 && !f.has('acceptanceCriteria')) {
    task.acceptanceCriteria = checklistItems(body, SECTIONS.acceptanceCriteria).map((item) => item.text);
  }
  if (task.createdAt === undefined) task.createdAt = f.timestamp('created_date');
}

/** `assignee` may be text or a list (Backlog.md style); the Task carries one text value. */
export function readAssignee(f: FieldReader): string | undefined {
  const value = f.raw('assignee');
  if (Array.isArray(value)) {
    const names = f.list('assignee');
    return names.length > 0 ? names.join(', ') : undefined;
  }
  return f.string('assignee')?.trim();
}

/** Body text without the blank lines around it; inner formatting untouched. */
export function trimBody(body: string): string {
  return body.replace(/^(?:[ \t]*\r?\n)+/, '').trimEnd();
}

/**
 * Writes a new task file in the original format (the key order of the original template).
 * The result parses back with `parseOriginalTask` to the same values when saved under
 * `taskFileName(id, input.title)`. Throws `TASK_INVALID` for an empty title or a task that
 * depends on itself.
 */
export function serializeOriginalTask(input: NewTaskInput, id: string): string {
  const title = input.title.trim();
  if (!title) {
    throw new TpError('A task needs a non-empty title', {
      code: 'TASK_INVALID',
      hint: 'Give the task a title.',
    });
  }
  const dependencies = [...new Set((input.dependencies ?? []).map(normalizeTaskRef))];
  if (dependencies.includes(id)) {
    throw new TpError(`Task ${id} cannot depend on itself`, {
      code: 'TASK_INVALID',
      taskId: id,
      hint: 'Remove the task from its own dependencies.',
    });
  }
  const fm: Record<string, unknown> = {
    title,
    status: 'To Do',
    priority: input.priority ?? 'medium',
  };
  if (input.assignee?.trim()) fm.assignee = input.assignee.trim();
  fm.labels = clean(input.labels);
  if (input.model?.trim()) fm.model = input.model.trim();
  if (input.suggestedModels && input.suggestedModels.length > 0)
    fm.suggestedModels = clean(input.suggestedModels);
  if (input.description?.trim()) fm.description = `${input.description.trimEnd()}\n`;
  fm.acceptanceCriteria = clean(input.acceptanceCriteria);
  // Written the way the original template names them; parsing turns them back into bare ids.
  fm.dependencies = dependencies.map((dep) => (/^\d+(?:\.\d+)*$/.test(dep) ? `task-${dep}` : dep));
  if (input.estimatedHours !== undefined) fm.estimatedHours = input.estimatedHours;
  if (input.repo?.trim()) fm.repo = input.repo.trim();
  if (input.baseBranch?.trim()) fm.baseBranch = input.baseBranch.trim();
  if (input.createdAt?.trim()) fm.createdAt = input.createdAt.trim();

  const yaml = stringify(fm, { lineWidth: 0, blockQuote: 'literal', indentSeq: true });
  const body = input.body?.trim() ? trimBody(input.body) : `# ${title}`;
  return `---\n${yaml}---\n\n${body}\n`;
}

function clean(items: string[] | undefined): string[] {
  return (items ?? []).map((s) => s.trim()).filter((s) => s.length > 0);
}
