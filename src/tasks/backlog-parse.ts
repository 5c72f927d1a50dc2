import { checklistItems, freeText, SECTIONS, sectionText } from './backlog-sections.js';
import { FieldReader } from './fields.js';
import { parseFrontmatterYaml, splitFrontmatter } from './frontmatter.js';
import { normalizeTaskRef, taskIdFromFileName } from './ids.js';
import { type ParseResult, readAssignee } from './original.js';
import type { Task, TaskProblem } from './types.js';

/** Backlog.md names files `<prefix>-<id> - <Title>.md`; subtasks carry dots (`task-3.1`). */
const FILE_ID_REGEX = '^[A-Za-z]+-(\\d+(?:\\.\\d+)*)';

/**
 * Parses a task file written by Backlog.md (`backlog/tasks/task-N - Title.md`).
 * `id: TASK-12` (any prefix) → `'12'`; description, acceptance criteria, plan and notes come
 * from their `## …` sections; `body` is whatever text sits outside those sections.
 * Problems carry the 1-based line in the FILE.
 */
export function parseBacklogTask(text: string, opts: { fileName: string }): ParseResult {
  const split = splitFrontmatter(text);
  if (split.kind === 'none') {
    return {
      ok: false,
      problems: [
        {
          message:
            'no frontmatter: a Backlog.md task starts with a "---" line, "id: task-N", "title: ...", and a closing "---"',
          line: 1,
        },
      ],
    };
  }
  if (split.kind === 'unterminated') {
    return {
      ok: false,
      problems: [
        { message: 'frontmatter opened with "---" at line 1 is never closed: add a "---" line', line: 1 },
      ],
    };
  }
  const parsed = parseFrontmatterYaml(split.yaml, split.yamlStartLine);
  if (!parsed.ok) return parsed;

  const f = new FieldReader(parsed.value);
  const problems: TaskProblem[] = [];
  const rawId = f.string('id')?.trim();
  const id = rawId ? normalizeTaskRef(rawId) : taskIdFromFileName(opts.fileName, FILE_ID_REGEX);
  if (!id) {
    problems.push({
      message: `no task id: add "id: task-<number>" to the frontmatter or name the file "task-<number> - <Title>.md" (file "${opts.fileName}")`,
      field: 'id',
    });
  }

  const body = split.body.replace(/\r\n/g, '\n');
  const task: Task = {
    id: id ?? '',
    title: f.requiredString('title', 'Add user authentication'),
    status: f.string('status')?.trim(),
    priority: f.priority('priority'),
    model: f.string('model')?.trim(),
    suggestedModels: f.list('suggestedModels'),
    modelPreference: f.string('modelPreference')?.trim(),
    description: sectionText(body, SECTIONS.description) ?? (f.string('description') ?? '').trim(),
    acceptanceCriteria: checklistItems(body, SECTIONS.acceptanceCriteria).map((item) => item.text),
    labels: f.list('labels'),
    dependencies: f.dependencies('dependencies'),
    estimatedHours: f.number('estimatedHours'),
    assignee: readAssignee(f),
    createdAt: f.timestamp('created_date'),
    repo: f.string('repo')?.trim(),
    baseBranch: f.string('baseBranch')?.trim(),
    body: freeText(body),
    format: 'backlog',
  };
  if (rawId) task.rawId = rawId;
  const plan = sectionText(body, SECTIONS.plan);
  if (plan) task.implementationPlan = plan;
  const notes = sectionText(body, SECTIONS.notes);
  if (notes) task.implementationNotes = notes;

  if (id && task.dependencies.includes(id)) {
    f.problem('dependencies', `task ${id} lists itself in dependencies: remove it`);
  }
  problems.push(...f.problems);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, task };
}
