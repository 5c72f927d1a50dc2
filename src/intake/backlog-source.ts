import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  type BacklogProjectConfig,
  type BacklogTaskChange,
  backlogStatusFor,
  backlogTimestamp,
  parseBacklogTask,
  updateBacklogTask,
} from '../tasks/index.js';
import type { Task } from '../tasks/types.js';
import { isTempFile, writeFileAtomic } from './atomic.js';
import { fileStem } from './folder-source.js';
import { DEFAULT_MAX_TASK_FILE_BYTES, readTaskFile } from './safe-read.js';
import type { FailureReport, ReadResult, ReviewInfo, SameIdFile, TaskSource, TaskState } from './types.js';

export interface BacklogSourceOptions {
  /** `backlog/tasks`. */
  tasksDir: string;
  /** Where error.log / error.json are written (Backlog.md has no folder per state). */
  failedDir: string;
  project: BacklogProjectConfig;
  /** The label that marks a failed task; it is not picked up again until removed. */
  failedLabel?: string;
  /** True when the store says the task's PR is open (used when no review status is configured). */
  inReview: (taskId: string) => boolean;
  /** `processing.maxTaskFileBytes`: larger files are refused unread. */
  maxFileBytes?: number | undefined;
}

/**
 * Backlog.md as the task database: files stay in `backlog/tasks/`, and the state is the
 * `status` field (plus a `failed` label), written back with byte-preserving edits so the
 * `backlog` CLI keeps reading them. Status names come from `backlog/config.yml`.
 *
 * A file that is not read at all (symlink, FIFO, device, directory, too large) cannot carry
 * a status or label, so it is never edited: it counts as failed once its error files exist.
 */
export class BacklogSource implements TaskSource {
  readonly format = 'backlog' as const;
  private readonly claiming = new Set<string>();
  private readonly failedLabel: string;
  private readonly maxFileBytes: number;

  constructor(private readonly options: BacklogSourceOptions) {
    this.failedLabel = options.failedLabel ?? 'failed';
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_TASK_FILE_BYTES;
  }

  private errorJson(file: string): string {
    return path.join(this.options.failedDir, `${fileStem(file)}.error.json`);
  }

  private status(stage: 'claimed' | 'review' | 'done'): string | undefined {
    return backlogStatusFor(this.options.project, stage);
  }

  watchPaths(): string[] {
    return [this.options.tasksDir];
  }

  isCandidate(file: string): boolean {
    return path.dirname(path.resolve(file)) === path.resolve(this.options.tasksDir) && isTask(file);
  }

  private async all(): Promise<Array<{ file: string; task: Task | undefined; state: TaskState }>> {
    const names = await readdir(this.options.tasksDir).catch(() => [] as string[]);
    const out = [];
    for (const name of names.filter(isTask)) {
      const file = path.join(this.options.tasksDir, name);
      const res = await this.read(file).catch(() => undefined);
      const task = res?.ok ? res.task : undefined;
      let state: TaskState = task ? this.stateOf(task) : 'todo';
      if (res && !res.ok && res.refused && existsSync(this.errorJson(file))) state = 'failed';
      out.push({ file, task, state });
    }
    return out;
  }

  private stateOf(task: Task): TaskState {
    const s = (task.status ?? '').toLowerCase();
    if (task.labels.includes(this.failedLabel)) return 'failed';
    if (s === (this.status('done') ?? 'done').toLowerCase()) return 'completed';
    const review = this.status('review');
    if (review && s === review.toLowerCase()) return 'review';
    if (s === (this.status('claimed') ?? 'in progress').toLowerCase()) {
      return this.options.inReview(task.id) ? 'review' : 'doing';
    }
    if (s === this.options.project.defaultStatus.toLowerCase()) return 'todo';
    return 'completed';
  }

  isPending(task: Task): boolean {
    return this.stateOf(task) === 'todo';
  }

  async listPending(): Promise<string[]> {
    return (await this.all()).filter((t) => t.state === 'todo').map((t) => t.file);
  }

  async listInProgress(): Promise<string[]> {
    return (await this.all()).filter((t) => t.state === 'doing').map((t) => t.file);
  }

  async read(file: string): Promise<ReadResult> {
    const taskId = /task-(\d+)/i.exec(path.basename(file))?.[1];
    const content = await readTaskFile(file, this.maxFileBytes);
    if (!content.ok) {
      const message = `${path.basename(file)} ${content.refused}`;
      return { ok: false, problems: [{ message }], path: file, taskId, refused: content.refused };
    }
    const res = parseBacklogTask(content.text, { fileName: path.basename(file) });
    if (res.ok) return { ok: true, task: res.task, path: file };
    return { ok: false, problems: res.problems, path: file, taskId };
  }

  private async edit(file: string, change: BacklogTaskChange): Promise<void> {
    const content = await readTaskFile(file, this.maxFileBytes);
    if (!content.ok) return;
    const text = content.text;
    const next = updateBacklogTask(text, { updatedDate: backlogTimestamp(new Date()), ...change });
    // An unchanged file is not rewritten: a rewrite is a watch event, and a loop for unparsable files.
    if (next !== text) await writeFileAtomic(file, next);
  }

  /** Claim = status "In Progress", re-checked under an in-process lock so one task is claimed once. */
  async claim(file: string): Promise<string | undefined> {
    if (this.claiming.has(file)) return undefined;
    this.claiming.add(file);
    try {
      const res = await this.read(file).catch(() => undefined);
      if (!res?.ok || this.stateOf(res.task) !== 'todo') return undefined;
      await this.edit(file, { status: this.status('claimed') ?? 'In Progress' });
      return file;
    } finally {
      this.claiming.delete(file);
    }
  }

  async toReview(file: string, info: ReviewInfo): Promise<string> {
    const review = this.status('review');
    const what = info.prUrl
      ? `pull request ${info.prUrl} opened from branch \`${info.branch}\``
      : `branch \`${info.branch}\` pushed (no pull request: git.createPR is false)`;
    const note = `ticket-processor: ${what} (model ${info.model}).${info.summary ? ` ${info.summary}` : ''}`;
    await this.edit(file, { ...(review ? { status: review } : {}), appendNotes: note });
    return file;
  }

  async toFailed(file: string, report: FailureReport, log: string): Promise<string> {
    const stem = path.join(this.options.failedDir, fileStem(file));
    await writeFileAtomic(`${stem}.error.json`, `${JSON.stringify(report, null, 2)}\n`);
    await writeFileAtomic(`${stem}.error.log`, log);
    const note = `ticket-processor: failed (${report.code}): ${report.error}${report.hint ? ` — ${report.hint}` : ''}`;
    await this.edit(file, { addLabels: [this.failedLabel], appendNotes: note });
    return file;
  }

  async toCompleted(taskId: string, note: string): Promise<string | undefined> {
    const found = await this.find(taskId);
    if (found?.state !== 'review') return undefined;
    await this.edit(found.file, {
      status: this.status('done') ?? 'Done',
      appendNotes: `ticket-processor: ${note}`,
    });
    return found.file;
  }

  async requeue(taskId: string): Promise<string | undefined> {
    const found = await this.find(taskId);
    if (found?.state !== 'failed') return undefined;
    await this.edit(found.file, {
      removeLabels: [this.failedLabel],
      status: this.options.project.defaultStatus,
      appendNotes: 'ticket-processor: requeued by retry-failed.',
    });
    const stem = path.join(this.options.failedDir, fileStem(found.file));
    await rm(`${stem}.error.log`, { force: true });
    await rm(`${stem}.error.json`, { force: true });
    return found.file;
  }

  async find(taskId: string): Promise<{ file: string; state: TaskState } | undefined> {
    const hit = (await this.all()).find((t) => t.task?.id === taskId);
    return hit ? { file: hit.file, state: hit.state } : undefined;
  }

  /**
   * Other files with this id, except those refused as duplicates themselves. Only files count,
   * not the store's file name: Backlog.md renames a file when its title changes.
   */
  async othersWithId(taskId: string, file: string): Promise<SameIdFile[]> {
    const out: SameIdFile[] = [];
    for (const t of await this.all()) {
      if (t.task?.id !== taskId || path.resolve(t.file) === path.resolve(file)) continue;
      if (t.state === 'failed' && (await this.failureReport(t.file))?.code === 'TASK_DUPLICATE_ID') continue;
      out.push({ file: t.file, state: t.state });
    }
    return out;
  }

  private failureReport(file: string): Promise<FailureReport | undefined> {
    return readTaskFile(this.errorJson(file), this.maxFileBytes)
      .then((c) => (c.ok ? (JSON.parse(c.text) as FailureReport) : undefined))
      .catch(() => undefined);
  }

  async listFailed(): Promise<
    Array<{ file: string; taskId: string | undefined; report: FailureReport | undefined }>
  > {
    const out = [];
    for (const t of (await this.all()).filter((x) => x.state === 'failed')) {
      const report = await this.failureReport(t.file);
      out.push({ file: t.file, taskId: t.task?.id, report });
    }
    return out;
  }

  async counts(): Promise<Record<TaskState, number>> {
    const out: Record<TaskState, number> = { todo: 0, doing: 0, review: 0, failed: 0, completed: 0 };
    for (const t of await this.all()) out[t.state]++;
    return out;
  }
}

function isTask(file: string): boolean {
  const base = path.basename(file);
  return base.toLowerCase().endsWith('.md') && !isTempFile(base) && !base.startsWith('.');
}
