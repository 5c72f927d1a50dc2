import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { TpError } from '../errors/index.js';
import { parseOriginalTask, taskIdFromFileName } from '../tasks/index.js';
import { isTempFile, writeFileAtomic } from './atomic.js';
import { DEFAULT_MAX_TASK_FILE_BYTES, readTaskFile } from './safe-read.js';
import type { FailureReport, ReadResult, ReviewInfo, SameIdFile, TaskSource, TaskState } from './types.js';

export interface FolderSourceOptions {
  folders: Record<TaskState, string>;
  extractRegex: string;
  /** `processing.maxTaskFileBytes`: larger files are refused unread. */
  maxFileBytes?: number | undefined;
}

const STATES: TaskState[] = ['todo', 'doing', 'review', 'failed', 'completed'];

/** `task-5 - X.md` → `task-5 - X`; error files are `<stem>.error.log` / `<stem>.error.json`, as in the original. */
export function fileStem(file: string): string {
  return path.basename(file).replace(/\.md$/i, '');
}

/**
 * The original tool's layout: one Markdown file per task, moved between folders by rename.
 * A rename inside one file system is atomic, so a task file is always in exactly one folder.
 *
 * A rename also replaces whatever has the target name, so every move first checks that the
 * target is free and refuses (`TASK_DUPLICATE_ID`) when it is not; failed/ takes the task
 * under a free name instead (`X (2).md`). Moves are serialised, so the check and the rename
 * cannot interleave with another move of this process; the coordinator is the only writer
 * of doing/, review/, failed/ and completed/.
 */
export class FolderSource implements TaskSource {
  readonly format = 'folders' as const;
  private moving: Promise<unknown> = Promise.resolve();
  private readonly maxFileBytes: number;
  /** While a start-up scan runs: every task file by id, listed once (see `openScan`). */
  private index: Map<string, Array<{ file: string; state: TaskState }>> | undefined;
  private scans = 0;

  constructor(private readonly options: FolderSourceOptions) {
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_TASK_FILE_BYTES;
  }

  async ensureFolders(): Promise<void> {
    for (const s of STATES) await mkdir(this.options.folders[s], { recursive: true });
  }

  private dir(state: TaskState): string {
    return this.options.folders[state];
  }

  watchPaths(): string[] {
    return [this.dir('todo')];
  }

  isCandidate(file: string): boolean {
    return path.dirname(path.resolve(file)) === path.resolve(this.dir('todo')) && isTaskFile(file);
  }

  /**
   * Start-up scan: lists the five folders once into an id index that `othersWithId` and `find`
   * read instead of listing every folder per file (O(N²) for N files), kept current by this
   * source's own moves. Nothing else writes the folders but new files in todo/, which the scan
   * lists itself and the watcher (started after the scan) reports. Pair with `closeScan`.
   */
  async openScan(): Promise<void> {
    if (this.scans++ > 0) return;
    const index = new Map<string, Array<{ file: string; state: TaskState }>>();
    const lists = await Promise.all(STATES.map((state) => this.list(state)));
    for (const [i, state] of STATES.entries()) {
      for (const file of lists[i] ?? []) this.indexAdd(index, file, state);
    }
    this.index = index;
  }

  closeScan(): void {
    if (this.scans > 0 && --this.scans === 0) this.index = undefined;
  }

  private idOf(file: string): string | undefined {
    return taskIdFromFileName(path.basename(file), this.options.extractRegex);
  }

  private indexAdd(
    index: Map<string, Array<{ file: string; state: TaskState }>>,
    file: string,
    state: TaskState,
  ): void {
    const id = this.idOf(file);
    if (id === undefined) return;
    const entries = index.get(id);
    if (entries) entries.push({ file, state });
    else index.set(id, [{ file, state }]);
  }

  /** Keeps the scan index current across a move of this source. */
  private indexMoved(from: string, to: string, state: TaskState): void {
    if (!this.index) return;
    const id = this.idOf(from);
    const entries = id === undefined ? undefined : this.index.get(id);
    if (entries && id !== undefined) {
      const rest = entries.filter((e) => path.resolve(e.file) !== path.resolve(from));
      if (rest.length > 0) this.index.set(id, rest);
      else this.index.delete(id);
    }
    if (isTaskFile(to)) this.indexAdd(this.index, to, state);
  }

  private stateOrder(state: TaskState): number {
    return STATES.indexOf(state);
  }

  private async list(state: TaskState): Promise<string[]> {
    const dir = this.dir(state);
    const names = await readdir(dir).catch(() => [] as string[]);
    return names.filter(isTaskFile).map((n) => path.join(dir, n));
  }

  /** A readable file in todo/ is always pending: the folder is the state. */
  isPending(): boolean {
    return true;
  }

  listPending(): Promise<string[]> {
    return this.list('todo');
  }

  listInProgress(): Promise<string[]> {
    return this.list('doing');
  }

  async read(file: string): Promise<ReadResult> {
    const taskId = () => taskIdFromFileName(path.basename(file), this.options.extractRegex);
    const content = await readTaskFile(file, this.maxFileBytes);
    if (!content.ok) {
      const message = `${path.basename(file)} ${content.refused}`;
      return { ok: false, problems: [{ message }], path: file, taskId: taskId(), refused: content.refused };
    }
    const res = parseOriginalTask(content.text, {
      fileName: path.basename(file),
      extractRegex: this.options.extractRegex,
    });
    if (res.ok) return { ok: true, task: res.task, path: file };
    return { ok: false, problems: res.problems, path: file, taskId: taskId() };
  }

  /** Runs one move at a time, so "is the target free?" and the rename are one step. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.moving.then(fn, fn);
    this.moving = run.catch(() => undefined);
    return run;
  }

  async claim(file: string): Promise<string | undefined> {
    return this.serial(async () => {
      if (!(await exists(file))) return undefined;
      try {
        return await this.moveNow(file, 'doing');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    });
  }

  async toReview(file: string, _info: ReviewInfo): Promise<string> {
    return this.serial(() => this.moveNow(file, 'review'));
  }

  async toFailed(file: string, report: FailureReport, log: string): Promise<string> {
    return this.serial(async () => {
      // Checked first so a task claimed or moved meanwhile leaves no error files behind.
      await lstat(file);
      const target = await this.freeFailedName(file);
      const stem = path.join(this.dir('failed'), fileStem(target));
      // Error files first, then the task: a crash in between leaves the task where it was (retried
      // on restart) with stale error files that the next failure overwrites; never a task without them.
      await writeFileAtomic(`${stem}.error.json`, `${JSON.stringify(report, null, 2)}\n`);
      await writeFileAtomic(`${stem}.error.log`, log);
      if (path.resolve(file) !== path.resolve(target)) {
        await rename(file, target);
        this.indexMoved(file, target, 'failed');
      }
      return target;
    });
  }

  /** `failed/X.md`, or `failed/X (2).md`… when a task of that name already failed: failed/ keeps both. */
  private async freeFailedName(file: string): Promise<string> {
    const dir = this.dir('failed');
    const first = path.join(dir, path.basename(file));
    if (path.resolve(file) === path.resolve(first) || !(await exists(first))) return first;
    for (let n = 2; ; n++) {
      const candidate = path.join(dir, `${fileStem(file)} (${n}).md`);
      if (!(await exists(candidate))) return candidate;
    }
  }

  async toCompleted(taskId: string): Promise<string | undefined> {
    const found = await this.find(taskId);
    if (found?.state !== 'review') return undefined;
    return this.serial(() => this.moveNow(found.file, 'completed'));
  }

  async requeue(taskId: string): Promise<string | undefined> {
    const found = await this.find(taskId);
    if (found?.state !== 'failed') return undefined;
    const target = await this.serial(() => this.moveNow(found.file, 'todo'));
    const stem = path.join(this.dir('failed'), fileStem(found.file));
    await rm(`${stem}.error.log`, { force: true });
    await rm(`${stem}.error.json`, { force: true });
    return target;
  }

  /** Removes error files left by a crash between writing them and moving the task (see toFailed). */
  async clearStaleFailure(file: string): Promise<void> {
    const stem = path.join(this.dir('failed'), fileStem(file));
    if (existsSync(path.join(this.dir('failed'), path.basename(file)))) return;
    await rm(`${stem}.error.log`, { force: true });
    await rm(`${stem}.error.json`, { force: true });
  }

  /** Renames `file` into `state`'s folder; refuses when a file of that name is already there. */
  private async moveNow(file: string, state: TaskState): Promise<string> {
    const target = path.join(this.dir(state), path.basename(file));
    if (path.resolve(file) === path.resolve(target)) return target;
    if (await exists(target)) {
      throw new TpError(
        `Cannot move ${path.basename(file)} to ${state}/: a file of the same name is already there, and it is not replaced.`,
        {
          code: 'TASK_DUPLICATE_ID',
          retryable: false,
          taskId: taskIdFromFileName(path.basename(file), this.options.extractRegex),
          hint: `Two task files share a name (and so an id). Rename one to a free id, then move it back to the todo folder.`,
        },
      );
    }
    await rename(file, target);
    this.indexMoved(file, target, state);
    return target;
  }

  /**
   * Other files with this id. A file in failed/ that was itself refused as a duplicate owns
   * nothing: counting it would let the copy refuse the original it was refused for.
   */
  async othersWithId(taskId: string, file: string): Promise<SameIdFile[]> {
    const out: SameIdFile[] = [];
    for (const { file: other, state } of await this.filesWithId(taskId)) {
      if (path.resolve(other) === path.resolve(file)) continue;
      if (state === 'failed' && (await this.failureCode(other)) === 'TASK_DUPLICATE_ID') continue;
      out.push({ file: other, state });
    }
    return out;
  }

  /** Every task file with this id, in state order (todo first); from the scan index while one is open. */
  private async filesWithId(taskId: string): Promise<Array<{ file: string; state: TaskState }>> {
    if (this.index) {
      return [...(this.index.get(taskId) ?? [])].sort(
        (a, b) => this.stateOrder(a.state) - this.stateOrder(b.state),
      );
    }
    // On every pickup: the folders are listed together, not one after another.
    const lists = await Promise.all(STATES.map((state) => this.list(state)));
    const out: Array<{ file: string; state: TaskState }> = [];
    for (const [i, state] of STATES.entries()) {
      for (const f of lists[i] ?? []) if (this.idOf(f) === taskId) out.push({ file: f, state });
    }
    return out;
  }

  private async failureReport(file: string): Promise<FailureReport | undefined> {
    const json = path.join(this.dir('failed'), `${fileStem(file)}.error.json`);
    try {
      const content = await readTaskFile(json, this.maxFileBytes);
      return content.ok ? (JSON.parse(content.text) as FailureReport) : undefined;
    } catch {
      return undefined;
    }
  }

  private async failureCode(file: string): Promise<string | undefined> {
    return (await this.failureReport(file))?.code;
  }

  async find(taskId: string): Promise<{ file: string; state: TaskState } | undefined> {
    if (this.index) return (await this.filesWithId(taskId))[0];
    for (const state of STATES) {
      for (const file of await this.list(state)) {
        if (taskIdFromFileName(path.basename(file), this.options.extractRegex) === taskId)
          return { file, state };
      }
    }
    return undefined;
  }

  async listFailed(): Promise<
    Array<{ file: string; taskId: string | undefined; report: FailureReport | undefined }>
  > {
    const out = [];
    for (const file of await this.list('failed')) {
      const report = await this.failureReport(file);
      out.push({ file, taskId: taskIdFromFileName(path.basename(file), this.options.extractRegex), report });
    }
    return out;
  }

  async counts(): Promise<Record<TaskState, number>> {
    const out = {} as Record<TaskState, number>;
    for (const s of STATES) out[s] = (await this.list(s)).length;
    return out;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

function isTaskFile(file: string): boolean {
  const base = path.basename(file);
  return base.toLowerCase().endsWith('.md') && !isTempFile(base) && !base.startsWith('.');
}
