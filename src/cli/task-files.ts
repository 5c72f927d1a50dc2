import { mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { App } from '../app.js';
import { TpError } from '../errors/index.js';
import { writeFileExclusive } from '../intake/atomic.js';
import {
  type NewTaskInput,
  serializeOriginalTask,
  taskFileName,
  taskIdFromFileName,
} from '../tasks/index.js';

/** Where id reservations live: one empty file per id, next to the drafts. */
const RESERVATIONS = '.tp-task-ids';
/**
 * Reservations older than this are pruned (the highest is always kept). A creator's view of
 * the folders is milliseconds old, so an hour is far beyond any scan that could still rely on it.
 */
const KEEP_RESERVATION_MS = 3_600_000;

function reservationDir(app: App): string {
  return path.join(path.dirname(app.folders.todo), RESERVATIONS);
}

/** Highest task id in any state folder, the drafts folder, the reservations and the store; 0 when none. */
export async function highestTaskId(app: App): Promise<number> {
  const regex = app.loaded.config.taskIdFormat.extractRegex;
  const dirs = [
    ...Object.entries(app.folders)
      .filter(([state]) => state !== 'repos')
      .map(([, dir]) => dir),
    path.dirname(app.folders.todo),
  ];
  let max = 0;
  const consider = (id: number) => {
    if (Number.isSafeInteger(id) && id > max) max = id;
  };
  for (const dir of dirs) {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      consider(Number(taskIdFromFileName(name, regex)));
    }
  }
  for (const name of await readdir(reservationDir(app)).catch(() => [] as string[])) consider(Number(name));
  for (const run of app.store.listRuns()) consider(Number(run.taskId));
  return max;
}

/**
 * Reserves a task id no other creator gets: after scanning for the highest id, it creates
 * `<drafts>/.tp-task-ids/<id>` with `wx`, which exactly one creator wins across threads and
 * processes; a loser tries the next id. Reading the folders alone is not enough: concurrent
 * creators read the same highest id before either writes its file.
 */
export async function reserveTaskId(app: App): Promise<string> {
  const dir = reservationDir(app);
  await mkdir(dir, { recursive: true });
  const start = (await highestTaskId(app)) + 1;
  for (let id = start; id < start + 10_000; id++) {
    try {
      await (await open(path.join(dir, String(id)), 'wx')).close();
      await pruneReservations(dir, id);
      return String(id);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new TpError(`Could not reserve a task id after 10000 tries (from ${start}).`, {
    code: 'INTERNAL',
    hint: `Look at ${RESERVATIONS}/ next to the todo folder; it should hold a few recent ids only.`,
  });
}

/** Keeps the reservation folder small: old entries are covered by the task files themselves. */
async function pruneReservations(dir: string, newest: number): Promise<void> {
  const now = Date.now();
  const names = await readdir(dir).catch(() => [] as string[]);
  const highest = Math.max(newest, ...names.map(Number).filter(Number.isSafeInteger));
  for (const name of names) {
    if (Number(name) === highest) continue;
    const st = await stat(path.join(dir, name)).catch(() => undefined);
    if (st && now - st.mtimeMs > KEEP_RESERVATION_MS) await rm(path.join(dir, name), { force: true });
  }
}

/** The folder drafts live in: the parent of todo/ (`backlog/`), beside `task-template.md`. */
export function draftsDir(app: App): string {
  return path.dirname(app.folders.todo);
}

/** Refuses writing original-format files into a Backlog.md project. */
function assertFolderFormat(app: App): void {
  if (app.source.format === 'backlog') {
    throw new TpError('This project keeps its tasks in Backlog.md; create them with the backlog CLI.', {
      code: 'TASK_INVALID',
      hint: 'Run `backlog task create "Title" -d "…" --ac "…"`; ticket-processor picks the task up from backlog/tasks/.',
    });
  }
}

/**
 * Writes `render(id)` under a freshly reserved id as `<dir>/<pattern> - <title>.md`. Safe to
 * call concurrently, from any number of processes: every call gets its own id, and no file is
 * ever replaced.
 */
export async function writeTaskText(
  app: App,
  dir: string,
  title: string,
  render: (id: string) => string,
): Promise<{ id: string; file: string }> {
  assertFolderFormat(app);
  for (let tries = 0; ; tries++) {
    const id = await reserveTaskId(app);
    const file = path.join(dir, taskFileName(id, title, app.loaded.config.taskIdFormat.pattern));
    try {
      await writeFileExclusive(file, render(id));
      return { id, file };
    } catch (err) {
      // Only a hand-made file with exactly this name gets here; its id is taken, so take the next.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || tries >= 100) throw err;
    }
  }
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
  assertFolderFormat(app);
  const dir = autoProcess ? app.folders.todo : draftsDir(app);
  const createdAt = new Date().toISOString();
  const maxBytes = app.loaded.config.processing.maxTaskFileBytes;
  // Checked before an id is reserved: intake would refuse the file unread anyway.
  const size = Buffer.byteLength(serializeOriginalTask({ createdAt, ...input }, '0'));
  if (size > maxBytes) {
    throw new TpError(
      `The task would be a ${size}-byte file, larger than processing.maxTaskFileBytes (${maxBytes}).`,
      {
        code: 'TASK_INVALID',
        hint: 'Shorten the description (link to longer material instead), or raise processing.maxTaskFileBytes.',
      },
    );
  }
  return writeTaskText(app, dir, input.title, (id) => serializeOriginalTask({ createdAt, ...input }, id));
}
