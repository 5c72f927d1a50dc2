import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { TpError } from '../errors/index.js';
import { type NewTaskInput, parseNewTaskInputs } from '../tasks/index.js';
import type { Priority } from '../tasks/types.js';
import { type CliIo, type GlobalOptions, withApp } from './context.js';
import { writeNewTask } from './task-files.js';
import { createFromTemplateCommand } from './template-command.js';

export interface CreateTaskOptions extends GlobalOptions {
  title?: string;
  description?: string;
  priority?: string;
  labels?: string;
  model?: string;
  ac?: string[];
  dependsOn?: string;
  estimatedHours?: string;
  repo?: string;
  baseBranch?: string;
  draft?: boolean;
  fromTemplate?: boolean;
}

const list = (s: string | undefined) =>
  (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

async function ask(io: CliIo): Promise<{ input: NewTaskInput; auto: boolean }> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const title = (await rl.question('Task title: ')).trim();
    const description = await rl.question('Description: ');
    const priority = ((await rl.question('Priority (low/medium/high) [medium]: ')).trim() ||
      'medium') as Priority;
    const labels = list(await rl.question('Labels (comma-separated): '));
    const model = (await rl.question('Model (empty = default): ')).trim();
    const hours = (await rl.question('Estimated hours: ')).trim();
    io.out('Acceptance Criteria (empty line to finish):');
    const acceptanceCriteria: string[] = [];
    for (let i = 1; ; i++) {
      const line = (await rl.question(`  ${i}. `)).trim();
      if (!line) break;
      acceptanceCriteria.push(line);
    }
    const auto = /^y/i.test(await rl.question('Move to todo folder for processing? (y/N): '));
    const input: NewTaskInput = { title, description, priority, labels, acceptanceCriteria };
    if (model) input.model = model;
    if (hours) input.estimatedHours = Number(hours);
    return { input, auto };
  } finally {
    rl.close();
  }
}

/** `create-task`: interactive on a TTY without --title, otherwise from flags. */
export async function createTaskCommand(io: CliIo, opts: CreateTaskOptions): Promise<number> {
  if (opts.fromTemplate) {
    // The original's `create-from-template` script name maps here (npm run create-from-template).
    const { config, title } = opts;
    return createFromTemplateCommand(io, undefined, {
      ...(config ? { config } : {}),
      ...(title !== undefined ? { title } : {}),
    });
  }
  let input: NewTaskInput;
  let auto = !opts.draft;
  if (opts.title === undefined && io.isTty) {
    ({ input, auto } = await ask(io));
  } else {
    input = {
      title: opts.title ?? '',
      description: opts.description ?? '',
      priority: (opts.priority ?? 'medium') as Priority,
      labels: list(opts.labels),
      acceptanceCriteria: opts.ac ?? [],
      dependencies: list(opts.dependsOn),
    };
    if (opts.model) input.model = opts.model;
    if (opts.estimatedHours) input.estimatedHours = Number(opts.estimatedHours);
    if (opts.repo) input.repo = opts.repo;
    if (opts.baseBranch) input.baseBranch = opts.baseBranch;
  }
  const checked = parseNewTaskInputs([input]);
  if (!checked.ok) {
    throw new TpError(`Invalid task: ${checked.problems.map((p) => p.message).join('; ')}`, {
      code: 'TASK_INVALID',
      hint: 'Give at least --title; --priority is one of high, medium, low.',
    });
  }
  return withApp(io, opts, async (app) => {
    const { id, file } = await writeNewTask(app, input, auto);
    io.out(`✓ Task ${id} created: ${file}`);
    io.out(
      auto
        ? '  It is in the todo folder and will be processed automatically.'
        : '  Draft: move it to the todo folder when ready.',
    );
    return 0;
  });
}

/** `bulk-create <file.json>`: an array of tasks (the original's format); all validated before any is written. */
export async function bulkCreateCommand(io: CliIo, file: string, opts: GlobalOptions): Promise<number> {
  const text = await readFile(path.resolve(io.cwd, file), 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TpError(`${file} is not valid JSON: ${(err as Error).message}`, { code: 'TASK_INVALID' });
  }
  const checked = parseNewTaskInputs(json);
  if (!checked.ok) {
    for (const p of checked.problems) io.err(`  ${p.field ? `${p.field}: ` : ''}${p.message}`);
    throw new TpError(`${file}: ${checked.problems.length} problem(s); nothing was created.`, {
      code: 'TASK_INVALID',
      hint: 'Fix the entries listed above and run bulk-create again.',
    });
  }
  return withApp(io, opts, async (app) => {
    for (const t of checked.tasks) {
      const { autoProcess, ...input } = t;
      const { id, file: written } = await writeNewTask(app, input, autoProcess);
      io.out(`✓ Task ${id}: ${path.basename(written)}${autoProcess ? ' (todo)' : ' (draft)'}`);
    }
    io.out(`Created ${checked.tasks.length} task(s).`);
    return 0;
  });
}
