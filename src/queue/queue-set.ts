import { type DependencyState, PriorityQueue, type QueueItem } from './priority-queue.js';
import { DEFAULT_QUEUE, type QueueConfig, type QueueDef, queueDefs, routeTask } from './routing.js';
import { nextSlaDue, pastSla, type QueuePriority, type SlaMinutes, slaSteps } from './sla.js';

/** What `status` shows per queue. */
export interface QueueStats {
  name: string;
  concurrency: number;
  running: number;
  /** Queued tasks, including those waiting for a dependency. */
  waiting: number;
  /** How long the oldest queued task has waited (ms); undefined when none waits. */
  oldestWaitMs: number | undefined;
  /** Queued tasks that have waited longer than the SLA of the priority they came with. */
  pastSla: number;
  /** Priority steps raised so far because of an SLA. */
  raised: number;
}

/** One SLA raise, for the `task.sla_breached` event and the log. */
export interface SlaBreach {
  taskId: string;
  file: string;
  queue: string;
  from: QueuePriority;
  to: QueuePriority;
  waitedMs: number;
}

interface Lane {
  def: QueueDef;
  items: PriorityQueue;
  running: Set<string>;
  raised: number;
}

/** Admission rules beyond each lane's concurrency (the BullMQ backend's coordinator). */
export interface AdmissionOptions {
  /** At most this many admitted-and-unfinished tasks per repository key (0: no limit). */
  perRepository?: number;
  /**
   * The implicit `default` lane admits without a cap: under BullMQ the workers' concurrency
   * bounds the runs, and `processing.concurrency` is a worker's default, not the cluster's.
   * A declared `default` lane keeps its concurrency.
   */
  uncappedDefault?: boolean;
}

interface Waiting {
  lane: Lane;
  /** Priority the task was queued with: SLA periods count from it. */
  base: QueuePriority;
  applied: number;
}

/**
 * Named queues, each with its own priority order and concurrency slots. Dependencies are
 * judged by task id across all queues (a dependency in another queue still holds a task
 * back). With one queue (`default`) and no SLA this is exactly the single priority queue.
 */
export class QueueSet {
  private readonly lanes: Lane[];
  private readonly byName = new Map<string, Lane>();
  private readonly waiting = new Map<string, Waiting>();
  private readonly runningIn = new Map<string, Lane>();
  /** Admitted-and-unfinished tasks per repository key (only counted with a perRepository limit). */
  private readonly repoOf = new Map<string, string>();
  private readonly perRepo = new Map<string, number>();

  constructor(
    readonly defs: readonly QueueDef[],
    private readonly sla: SlaMinutes = {},
    private readonly admission: AdmissionOptions = {},
  ) {
    this.lanes = defs.map((def) => ({ def, items: new PriorityQueue(), running: new Set(), raised: 0 }));
    for (const lane of this.lanes) this.byName.set(lane.def.name, lane);
  }

  /** From `processing` (`concurrency`, `queues`, `slaMinutes`). */
  static fromConfig(
    processing: QueueConfig & { slaMinutes?: SlaMinutes },
    admission: AdmissionOptions = {},
  ): QueueSet {
    const defs = queueDefs(processing);
    if (admission.uncappedDefault && !processing.queues.some((q) => q.name === DEFAULT_QUEUE)) {
      const def = defs.find((d) => d.name === DEFAULT_QUEUE);
      if (def) def.concurrency = Number.POSITIVE_INFINITY;
    }
    return new QueueSet(defs, processing.slaMinutes ?? {}, admission);
  }

  /** Name of the queue a task goes to. */
  route(task: { priority: QueuePriority; labels: readonly string[] }): string {
    return routeTask(this.defs, task);
  }

  private laneOf(task: { priority: QueuePriority; labels?: readonly string[] | undefined }): Lane {
    const lane = this.byName.get(this.route({ priority: task.priority, labels: task.labels ?? [] }));
    // route() only names queues of defs, and defs always hold `default`.
    if (!lane) throw new Error('queue routing named an unknown queue');
    return lane;
  }

  add(item: QueueItem): boolean {
    if (this.waiting.has(item.taskId)) return false;
    const lane = this.laneOf(item);
    if (!lane.items.add(item)) return false;
    this.waiting.set(item.taskId, { lane, base: item.priority, applied: 0 });
    return true;
  }

  remove(taskId: string): boolean {
    const w = this.waiting.get(taskId);
    if (!w) return false;
    this.waiting.delete(taskId);
    return w.lane.items.remove(taskId);
  }

  has(taskId: string): boolean {
    return this.waiting.has(taskId);
  }

  get size(): number {
    return this.waiting.size;
  }

  /** Tasks running now, over all queues. */
  get runningCount(): number {
    return this.runningIn.size;
  }

  /**
   * Takes the first runnable task of a queue with a free slot and counts it as running there
   * until `finished`. Queues are tried in their declared order; each has its own slots, so
   * the order only decides which is started first within one scheduling pass.
   */
  take(depState: (id: string) => DependencyState): (QueueItem & { queue: string }) | undefined {
    const limit = this.admission.perRepository ?? 0;
    // A repository at its limit holds all its tasks back (so none of lower priority passes the
    // held one), while tasks of other repositories go ahead.
    const admit = limit > 0 ? (i: QueueItem) => (this.perRepo.get(repoKey(i)) ?? 0) < limit : undefined;
    for (const lane of this.lanes) {
      if (lane.running.size >= lane.def.concurrency) continue;
      const item = lane.items.take(depState, admit);
      if (!item) continue;
      this.waiting.delete(item.taskId);
      this.markRunning(item.taskId, lane, repoKey(item));
      return { ...item, queue: lane.def.name };
    }
    return undefined;
  }

  /**
   * Counts a task as running in its queue without taking it from the queue (a task resumed
   * at start-up). It may exceed the queue's concurrency: interrupted work is never held back.
   */
  started(task: {
    taskId: string;
    priority: QueuePriority;
    labels?: readonly string[];
    repoKey?: string | undefined;
  }): string {
    const lane = this.laneOf(task);
    this.markRunning(task.taskId, lane, repoKey(task));
    return lane.def.name;
  }

  private markRunning(taskId: string, lane: Lane, repo: string): void {
    if (this.runningIn.has(taskId)) this.finished(taskId);
    lane.running.add(taskId);
    this.runningIn.set(taskId, lane);
    this.repoOf.set(taskId, repo);
    this.perRepo.set(repo, (this.perRepo.get(repo) ?? 0) + 1);
  }

  /** Frees the slot of a task that settled. */
  finished(taskId: string): void {
    this.runningIn.get(taskId)?.running.delete(taskId);
    this.runningIn.delete(taskId);
    const repo = this.repoOf.get(taskId);
    if (repo === undefined) return;
    this.repoOf.delete(taskId);
    const n = (this.perRepo.get(repo) ?? 1) - 1;
    if (n > 0) this.perRepo.set(repo, n);
    else this.perRepo.delete(repo);
  }

  /** Admitted-and-unfinished tasks of a repository key (`queue.perRepository`). */
  runningFor(repo: string): number {
    return this.perRepo.get(repo) ?? 0;
  }

  blocked(depState: (id: string) => DependencyState): Array<{ item: QueueItem; waitingFor: string[] }> {
    return this.lanes.flatMap((l) => l.items.blocked(depState));
  }

  /**
   * Raises every queued task whose wait has passed its SLA, one step per SLA period, within
   * its own queue. Returns the raises made now (each step once).
   */
  checkSla(now: number): SlaBreach[] {
    const breaches: SlaBreach[] = [];
    for (const [taskId, w] of this.waiting) {
      const item = w.lane.items.get(taskId);
      if (!item) continue;
      const waitedMs = now - item.enqueuedAt;
      const due = slaSteps(w.base, waitedMs, this.sla).slice(w.applied);
      for (const step of due) {
        breaches.push({
          taskId,
          file: item.file,
          queue: w.lane.def.name,
          from: step.from,
          to: step.to,
          waitedMs,
        });
      }
      const last = due.at(-1);
      if (!last) continue;
      w.applied += due.length;
      w.lane.raised += due.length;
      w.lane.items.setPriority(taskId, last.to);
    }
    return breaches;
  }

  /** Milliseconds from `now` until the next SLA raise falls due; undefined when none can. */
  nextSlaCheckIn(now: number): number | undefined {
    let soonest: number | undefined;
    for (const [taskId, w] of this.waiting) {
      const item = w.lane.items.get(taskId);
      const due = item && nextSlaDue(w.base, w.applied, this.sla);
      if (!item || due === undefined) continue;
      // "Longer than" the SLA: the raise happens just after the limit.
      const inMs = Math.max(0, item.enqueuedAt + due - now + 1);
      soonest = soonest === undefined ? inMs : Math.min(soonest, inMs);
    }
    return soonest;
  }

  /** Per queue, in declared order (`default` last unless declared). */
  stats(now: number): QueueStats[] {
    return this.lanes.map((lane) => {
      let oldestWaitMs: number | undefined;
      let past = 0;
      for (const item of lane.items.values()) {
        const waited = Math.max(0, now - item.enqueuedAt);
        oldestWaitMs = Math.max(oldestWaitMs ?? 0, waited);
        const base = this.waiting.get(item.taskId)?.base ?? item.priority;
        if (pastSla(base, waited, this.sla)) past++;
      }
      return {
        name: lane.def.name,
        concurrency: lane.def.concurrency,
        running: lane.running.size,
        waiting: lane.items.size,
        oldestWaitMs,
        pastSla: past,
        raised: lane.raised,
      };
    });
  }
}

function repoKey(item: { repoKey?: string | undefined }): string {
  return item.repoKey ?? 'default';
}
