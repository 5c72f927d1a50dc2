import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { parseOriginalTask, taskIdFromFileName } from '../tasks/index.js';
import { isTempFile, writeFileAtomic } from './atomic.js';
import type { FailureReport, ReadResult, ReviewInfo, TaskSource, TaskState } from './types.js';

export interface FolderSourceOptions {
  folders: Record<TaskState, string>;
  extractRegex: string;
}

const STATES: TaskState[] = ['todo', 'doing', 'review', 'failed', 'completed'];

/** `task-5 - X.md` → `task-5 - X`; error files are `<stem>.error.log` / `<stem>.error.json`, as in the original. */
export function fileStem(file: string): string {
  return path.basename(file).replace(/\.md$/i, '');
}

/**
 * The original tool's layout: one Markdown file per task, moved between folders by rename.
 * A rename inside one file system is atomic, so a task file is always in exactly one folder.
 */
export class FolderSource implements TaskSource {
  readonly format = 'folders' as const;

  constructor(private readonly options: FolderSourceOptions) {}

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
    const text = await readFile(file, 'utf8');
    const res = parseOriginalTask(text, {
      fileName: path.basename(file),
      extractRegex: this.options.extractRegex,
    });
    if (res.ok) return { ok: true, task: res.task, path: file };
    return {
      ok: false,
      problems: res.problems,
      path: file,
      taskId: taskIdFromFileName(path.basename(file), this.options.extractRegex),
    };
  }

  async claim(file: string): Promise<string | undefined> {
    const target = path.join(this.dir('doing'), path.basename(file));
    try {
      await rename(file, target);
      return target;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async toReview(file: string, _info: ReviewInfo): Promise<string> {
    return this.move(file, 'review');
  }

  async toFailed(file: string, report: FailureReport, log: string): Promise<string> {
    const stem = path.join(this.dir('failed'), fileStem(file));
    // Error files first, then the task: a crash in between leaves the task where it was (retried
    // on restart) with stale error files that the next failure overwrites; never a task without them.
    await writeFileAtomic(`${stem}.error.json`, `${JSON.stringify(report, null, 2)}\n`);
    await writeFileAtomic(`${stem}.error.log`, log);
    return this.move(file, 'failed');
  }

  async toCompleted(taskId: string): Promise<string | undefined> {
    const found = await this.find(taskId);
    if (found?.state !== 'review') return undefined;
    return this.move(found.file, 'completed');
  }

  async requeue(taskId: string): Promise<string | undefined> {
    const found = await this.find(taskId);
    if (found?.state !== 'failed') return undefined;
    const target = await this.move(found.file, 'todo');
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

  private async move(file: string, state: TaskState): Promise<string> {
    const target = path.join(this.dir(state), path.basename(file));
    if (path.resolve(file) !== path.resolve(target)) await rename(file, target);
    return target;
  }

  async find(taskId: string): Promise<{ file: string; state: TaskState } | undefined> {
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
      const json = path.join(this.dir('failed'), `${fileStem(file)}.error.json`);
      let report: FailureReport | undefined;
      try {
        report = JSON.parse(await readFile(json, 'utf8')) as FailureReport;
      } catch {
        report = undefined;
      }
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

function isTaskFile(file: string): boolean {
  const base = path.basename(file);
  return base.toLowerCase().endsWith('.md') && !isTempFile(base) && !base.startsWith('.');
}
