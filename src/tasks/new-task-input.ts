import { z } from 'zod';
import { normalizeTaskRef } from './ids.js';
import type { NewTaskInput } from './original.js';
import type { TaskProblem } from './types.js';

const text = z.string().trim();
const optionalText = z.preprocess((v) => (v === null || v === '' ? undefined : v), text.optional());

/** A list of text items; a single string is one item (labels: "a, b" is split on commas). */
const textList = (splitCommas: boolean) =>
  z.preprocess(
    (v) => {
      if (v === null || v === undefined) return undefined;
      if (typeof v === 'string') return splitCommas ? v.split(',') : [v];
      return v;
    },
    z
      .array(
        z
          .union([z.string(), z.number()], { error: 'list items must be text' })
          .transform((s) => String(s).trim()),
        { error: 'must be a list of text items' },
      )
      .transform((items) => items.filter((s) => s.length > 0))
      .optional(),
  );

const newTaskSchema = z.strictObject(
  {
    title: z.preprocess(
      (v) => (typeof v === 'number' ? String(v) : v),
      z.string({ error: 'title is required (non-empty text)' }).trim().min(1, 'title must not be empty'),
    ),
    description: optionalText,
    priority: z.preprocess(
      (v) => (typeof v === 'string' ? v.trim().toLowerCase() : v === null ? undefined : v),
      z.enum(['high', 'medium', 'low'], { error: 'priority must be one of high, medium, low' }).optional(),
    ),
    model: optionalText,
    suggestedModels: textList(false),
    labels: textList(true),
    acceptanceCriteria: textList(false),
    dependencies: textList(true).transform((deps) =>
      deps ? [...new Set(deps.map(normalizeTaskRef))] : deps,
    ),
    estimatedHours: z.preprocess(
      (v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v === null || v === '' ? undefined : v),
      z
        .number({ error: 'estimatedHours must be a number' })
        .nonnegative('estimatedHours must be 0 or more')
        .finite('estimatedHours must be a finite number')
        .optional(),
    ),
    assignee: optionalText,
    repo: optionalText,
    baseBranch: optionalText,
    createdAt: optionalText,
    body: z.string({ error: 'body must be text' }).optional(),
    /** Original bulk-create field: move the new file straight to `todo/`. */
    autoProcess: z.boolean({ error: 'autoProcess must be true or false' }).default(false),
    // Fields the original files carry that a new task cannot set; accepted so exported
    // task lists import without edits.
    status: z.unknown().optional(),
    id: z.unknown().optional(),
  },
  { error: 'each task must be an object with at least a "title"' },
);

/** The shapes a bulk file or API body may take: a list, `{ tasks: [...] }`, or one task. */
function asList(json: unknown): { list: unknown[]; prefix: (i: number) => string } | undefined {
  if (Array.isArray(json)) return { list: json, prefix: (i) => `[${i}]` };
  if (json && typeof json === 'object') {
    const tasks = (json as Record<string, unknown>).tasks;
    if (Array.isArray(tasks)) return { list: tasks, prefix: (i) => `tasks[${i}]` };
    return { list: [json], prefix: () => '' };
  }
  return undefined;
}

/**
 * Validates a bulk-create file or API payload: a JSON array of tasks (the original
 * `tasks.json`), `{ "tasks": [...] }`, or a single task object. Every problem names the
 * task index and field (`[1].priority: …`). `autoProcess` defaults to false, as the
 * original's interactive "move to todo? (y/N)" does.
 */
export function parseNewTaskInputs(
  json: unknown,
):
  | { ok: true; tasks: Array<NewTaskInput & { autoProcess: boolean }> }
  | { ok: false; problems: TaskProblem[] } {
  const shape = asList(json);
  if (!shape) {
    return {
      ok: false,
      problems: [{ message: 'expected a JSON array of tasks, or an object with a "tasks" array' }],
    };
  }
  if (shape.list.length === 0) {
    return {
      ok: false,
      problems: [{ message: 'the task list is empty: add at least one task with a "title"' }],
    };
  }
  const tasks: Array<NewTaskInput & { autoProcess: boolean }> = [];
  const problems: TaskProblem[] = [];
  shape.list.forEach((item, index) => {
    const res = newTaskSchema.safeParse(item);
    if (!res.success) {
      for (const issue of res.error.issues) {
        const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
        for (const key of keys) {
          const field = fieldPath(shape.prefix(index), [...issue.path, ...(key ? [key] : [])]);
          const message = key ? `unknown field "${key}"` : issue.message;
          const where = shape.list.length > 1 || shape.prefix(index) ? `task ${index + 1}` : 'task';
          problems.push({
            message: `${where}${field ? ` (${field})` : ''}: ${message}`,
            field: field || undefined,
          });
        }
      }
      return;
    }
    const { status: _status, id: _id, ...task } = res.data;
    tasks.push(dropUndefined(task));
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, tasks };
}

/** `[1].labels[0]`, `tasks[0].title`, `title`. */
function fieldPath(prefix: string, path: PropertyKey[]): string {
  let out = prefix;
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
  }
  return out;
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
