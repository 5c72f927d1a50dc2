import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { TpError } from '../errors/index.js';
import type { EventBus } from '../events/index.js';
import { type TaskFolderWatch, watchTaskFolders } from '../intake/folder-watch.js';
import type { ReadResult, TaskSource } from '../intake/types.js';
import type { Logger } from '../observability/index.js';
import { type DependencyState, type QueueSet, type QueueStats, queuedSince } from '../queue/index.js';
import type { Store } from '../store/index.js';
import type { Task } from '../tasks/types.js';
import type { Dispatcher } from './dispatch.js';
import { waitUntilStable } from './file-stability.js';
import { IntakeRejections } from './intake-rejections.js';
import { eachLimit, scanIndexOf } from './intake-scan.js';
import { SlaTimer } from './sla-timer.js';

/** Task files read at once during the start-up scan. */
const SCAN_CONCURRENCY = 64;

export interface WorkerOptions {
  /** Upper bound to wait for a file that does not parse yet (an editor still writing it). */
  watchDebounceMs: number;
  stabilityPollMs: number;
  secrets: string[];
}

export interface WorkerDeps {
  source: TaskSource;
  store: Store;
  /** Named queues with their own concurrency (one `default` queue when none are configured). */
  queues: QueueSet;
  /** Runs claimed tasks: in this process, or on BullMQ workers. */
  dispatcher: Dispatcher;
  events: EventBus;
  logger: Logger;
}

/**
 * Intake and scheduling: watches for task files, validates them, queues them (by label or
 * priority into named queues, then by priority and dependencies), claims and runs up to each
 * queue's concurrency at once, and raises tasks that wait past their SLA. Bad input never stops it.
 */
export class Worker {
  private watcher: TaskFolderWatch | undefined;
  /** Files the start-up scan looked at: the look after the watch starts skips them. */
  private scanned = new Set<string>();
  private readonly inspecting = new Map<string, Promise<void>>();
  private readonly recheck = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly depCache = new Map<string, DependencyState>();
  private readonly abort = new AbortController();
  private stopped = false;
  /** While true, new tasks are queued but not started: the startup scan must see every task before priorities apply. */
  private holding = false;
  private idleWaiters: Array<() => void> = [];
  private failures = 0;
  private readonly sla: SlaTimer;
  private readonly reject: IntakeRejections;

  constructor(
    private readonly deps: WorkerDeps,
    private readonly options: WorkerOptions,
  ) {
    this.reject = new IntakeRejections({
      ...deps,
      secrets: options.secrets,
      onFailed: () => this.failures++,
    });
    this.sla = new SlaTimer(deps, () => this.schedule());
    // Completion happens elsewhere (webhook, `pr merge`, auto-merge); dependants may now run.
    deps.events.on('task.completed', (e) => this.notifyCompleted(e.taskId));
  }

  /** Reconciles tasks left in progress by a previous process, then queues what is pending. */
  async start(opts: { watch: boolean }): Promise<void> {
    this.holding = true;
    await this.deps.dispatcher.prepare();
    // One listing of every folder for the whole scan: duplicate and dependency look-ups read
    // it instead of listing the folders again per file.
    const scan = scanIndexOf(this.deps.source);
    await scan?.openScan();
    try {
      // One file that cannot be resumed must not keep the others (or the whole service) from starting.
      for (const file of await this.deps.source.listInProgress()) {
        await this.resume(file).catch((err) => this.reject.unreadable(file, err));
      }
      // The scan's task.queued rows are audited in batches: one commit per row was most of
      // the time of a large backlog, and the next start queues those files again anyway.
      const audited = this.deps.store.deferAudit?.(['task.queued']);
      try {
        await eachLimit(await this.deps.source.listPending(), SCAN_CONCURRENCY, (file) => this.inspect(file));
      } finally {
        audited?.();
      }
      // Dependencies and SLA are judged once over the whole backlog, not once per file.
      await this.refreshDeps();
    } finally {
      scan?.closeScan();
    }
    this.holding = false;
    const scanned = this.scanned;
    this.scanned = new Set();
    if (opts.watch) {
      const onFile = (file: string) => {
        if (this.deps.source.isCandidate(file)) void this.inspect(file);
      };
      this.watcher = watchTaskFolders(this.deps.source.watchPaths(), onFile, (err) =>
        this.deps.logger.error({ err }, 'watcher error'),
      );
      // A file written between the scan's listing and the watch (an API request answered while
      // start-up ran) raised no event: look once more, at the files the scan did not see (each
      // look at a seen one cost a read and a listing of every folder, for nothing).
      for (const file of await this.deps.source.listPending())
        if (!scanned.has(file)) void this.inspect(file);
    }
    this.schedule();
  }

  get activeCount(): number {
    return this.running.size;
  }

  get failedCount(): number {
    return this.failures;
  }

  /** Tasks currently processed (for /health and status). */
  processing(): string[] {
    return [...this.running.keys()];
  }

  /** Per queue: concurrency, running, waiting, oldest wait and SLA breaches (for status and /health). */
  queueStats(): QueueStats[] {
    return this.deps.queues.stats(Date.now());
  }

  /** Resolves when nothing runs and nothing runnable is queued. */
  async idle(): Promise<void> {
    for (;;) {
      await Promise.all(this.inspecting.values());
      // A file that did not parse yet is looked at again after the debounce window: wait for that too.
      if (this.running.size === 0 && this.inspecting.size === 0 && this.recheck.size === 0) {
        await this.refreshDeps();
        if (!this.hasRunnable()) return;
        this.schedule();
      }
      await new Promise<void>((r) => this.idleWaiters.push(r));
    }
  }

  private hasRunnable(): boolean {
    const blocked = this.deps.queues.blocked((d) => this.depState(d)).length;
    return this.deps.queues.size - blocked > 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.recheck.values()) clearTimeout(t);
    this.sla.stop();
    await this.watcher?.close();
    this.abort.abort(new TpError('Shutting down.', { code: 'ABORTED', retryable: true }));
    await Promise.allSettled(this.running.values());
  }

  /** A dependency counts as done once its task is completed (PR merged). */
  private depState(id: string): DependencyState {
    return this.depCache.get(id) ?? 'pending';
  }

  private async refreshDeps(): Promise<void> {
    const seen = new Set<string>();
    for (const { waitingFor } of this.deps.queues.blocked((d) => this.depState(d))) {
      for (const id of waitingFor) {
        if (seen.has(id)) continue;
        seen.add(id);
        const found = await this.deps.source.find(id);
        const state: DependencyState = !found
          ? 'missing'
          : found.state === 'completed'
            ? 'done'
            : found.state === 'failed'
              ? 'failed'
              : 'pending';
        this.depCache.set(id, state);
      }
    }
  }

  /** Called when a task completes elsewhere (webhook, `pr merge`): dependants may now run. */
  notifyCompleted(taskId: string): void {
    this.depCache.set(taskId, 'done');
    this.schedule();
  }

  private async resume(file: string): Promise<void> {
    const res = await this.deps.source.read(file);
    if (!res.ok) return this.reject.invalid(file, res);
    if (await this.reject.duplicate(file, res.task.id)) return;
    this.deps.events.emit('task.recovered', {
      taskId: res.task.id,
      file: path.basename(file),
      action: 'resumed',
    });
    this.launch(file, res.task, true);
  }

  /**
   * Stats a file until it stops changing; a file older than the debounce window is not being
   * written any more, so one look is enough (the start-up scan of a large backlog).
   */
  private async stable(file: string) {
    const st = await lstat(file).catch(() => undefined);
    if (!st) return undefined;
    if (!st.isFile() || Date.now() - st.mtimeMs > this.options.watchDebounceMs)
      return { first: st, last: st };
    // A file being written right now: a new task, most likely.
    if (!this.holding) this.deps.dispatcher.warm?.();
    return waitUntilStable(file, {
      pollMs: this.options.stabilityPollMs,
      maxWaitMs: this.options.watchDebounceMs,
    });
  }

  /** Waits until a new file stops changing, parses it, and queues it or fails it. */
  inspect(file: string): Promise<void> {
    if (this.holding) this.scanned.add(file);
    const existing = this.inspecting.get(file);
    if (existing) return existing;
    const p = this.inspectNow(file)
      .catch((err) => this.reject.unreadable(file, err))
      .finally(() => {
        this.inspecting.delete(file);
        this.wake();
      });
    this.inspecting.set(file, p);
    return p;
  }

  private async inspectNow(file: string): Promise<void> {
    // Admitted as of now: its run may use a fetch that starts from here on, such as the one
    // warm() starts while the file is still being written.
    const seenAt = Date.now();
    const looked = await this.stable(file);
    if (!looked) return;
    const { first, last: prev } = looked;
    const res = await this.deps.source.read(file);
    if (!res.ok) {
      const age = Date.now() - prev.mtimeMs;
      if (!res.refused && age < this.options.watchDebounceMs && !this.stopped) {
        // Possibly still being written: look again once the debounce window has passed.
        clearTimeout(this.recheck.get(file));
        this.recheck.set(
          file,
          setTimeout(
            () => {
              this.recheck.delete(file);
              void this.inspect(file);
            },
            this.options.watchDebounceMs - age + 5,
          ),
        );
        return;
      }
      return this.reject.invalid(file, res);
    }
    const t = res.task;
    if (!this.deps.source.isPending(t)) return;
    if (await this.reject.duplicate(file, t.id)) return;
    if (this.running.has(t.id) || this.deps.queues.has(t.id)) return;
    this.deps.queues.add({
      taskId: t.id,
      file,
      priority: t.priority,
      enqueuedAt: queuedSince(t, first.mtimeMs),
      dependencies: t.dependencies,
      labels: t.labels,
      repoKey: t.repo ?? 'default',
      admittedAt: seenAt,
    });
    this.deps.events.emit('task.queued', {
      taskId: t.id,
      file: path.basename(file),
      priority: t.priority,
      waitingFor: t.dependencies,
    });
    // During the start-up scan nothing starts yet: start() looks at dependencies once at its end.
    if (this.holding) return;
    await this.refreshDeps();
    this.schedule();
  }

  private schedule(): void {
    if (!this.stopped) this.sla.raisePastSla();
    while (!this.stopped && !this.holding) {
      // Each queue has its own slots: take() only looks at queues with one free.
      const item = this.deps.queues.take((d) => this.depState(d));
      if (!item) break;
      // A task whose dependencies held it needs their merged work: a base fetched from now on.
      const freshSince = item.dependencies.length > 0 ? Date.now() : item.admittedAt;
      this.track(item.taskId, this.claimAndRun(item.file, freshSince));
    }
    if (this.stopped) this.sla.stop();
    else this.sla.arm();
    this.wake();
  }

  private async claimAndRun(file: string, freshSince?: number): Promise<void> {
    let claimed: string | undefined;
    let res: ReadResult;
    try {
      claimed = await this.deps.source.claim(file);
      if (!claimed) return;
      res = await this.deps.source.read(claimed);
    } catch (err) {
      return this.reject.unreadable(claimed ?? file, err);
    }
    if (!res.ok) return this.reject.invalid(claimed, res);
    await this.execute(claimed, res.task, false, freshSince);
  }

  /** Counts a task as running from the moment it is taken off the queue until it settles. */
  private track(taskId: string, work: Promise<void>): void {
    const p = work
      .catch((err) => {
        this.failures++;
        this.deps.logger.error({ err, taskId }, 'pipeline crashed on a task');
      })
      .finally(() => {
        this.running.delete(taskId);
        this.deps.queues.finished(taskId);
        this.schedule();
      });
    this.running.set(taskId, p);
  }

  private launch(file: string, task: Task, resumed: boolean): void {
    if (this.running.has(task.id)) return;
    this.deps.queues.started({
      taskId: task.id,
      priority: task.priority,
      labels: task.labels,
      repoKey: task.repo ?? 'default',
    });
    this.track(task.id, this.execute(file, task, resumed));
  }

  private async execute(file: string, task: Task, resumed = false, freshSince?: number): Promise<void> {
    const run = this.deps.store.getRun(task.id);
    this.deps.events.emit('task.claimed', {
      taskId: task.id,
      file: path.basename(file),
      attempt: (run?.attempts ?? 0) + 1,
    });
    const releaseSlot = () => {
      this.deps.queues.finished(task.id);
      this.schedule();
    };
    const outcome = await this.deps.dispatcher.run(file, task, this.abort.signal, {
      resumed,
      freshSince,
      releaseSlot,
    });
    if (outcome.status === 'failed') this.failures++;
  }

  private wake(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
