import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { App } from '../app.js';
import { TpError } from '../errors/index.js';
import { writeFileAtomic } from '../intake/atomic.js';
import {
  type NewTaskInput,
  serializeOriginalTask,
  taskFileName,
  taskIdFromFileName,
} from '../tasks/index.js';

/** Next free task id: one more than the highest id in any folder (and the drafts folder). */
export async function nextTaskId(app: App): Promise<number> {
  const regex = app.loaded.config.taskIdFormat.extractRegex;
  const dirs = [...Object.values(app.folders), path.dirname(app.folders.todo)];
  let max = 0;
  for (const dir of dirs) {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const id = Number(taskIdFromFileName(name, regex));
      if (Number.isFinite(id) && id > max) max = id;
    }
  }
  for (const run of app.store.listRuns()) {
    const id = Number(run.taskId);
    if (Number.isFinite(id) && id > max) max = id;
  }
  return max + 1;
}

/**
 * Writes a new task in the original format. `autoProcess` puts it in todo/ (picked up at once);
 * otherwise it is a draft in the backlog folder, moved to todo/ by hand when ready.
 */
export async function writeNewTask(
  app: App,
  input: NewTaskInput,
  autoProcess: boolean,
): Promise<{ id: string; file: string }> {
  if (app.source.format === 'backlog') {
    throw new TpError('This project keeps its tasks in Backlog.md; create them with the backlog CLI.', {
      code: 'TASK_INVALID',
      hint: 'Run `backlog task create "Title" -d "…" --ac "…"`; ticket-processor picks the task up from backlog/tasks/.',
    });
  }
  const id = String(await nextTaskId(app));
  const dir = autoProcess ? app.folders.todo : path.dirname(app.folders.todo);
  const file = path.join(dir, taskFileName(id, input.title));
  await writeFileAtomic(file, serializeOriginalTask({ createdAt: new Date().toISOString(), ...input }, id));
  return { id, file };
}
