import type { EventBus, PipelineStage } from '../events/index.js';
import type { RunningTask } from './types.js';

interface LiveRun {
  taskId: string;
  file: string | undefined;
  stage: PipelineStage | undefined;
  claimedAt: number;
  model: string | undefined;
  attempt: number | undefined;
}

/**
 * What runs now, kept in memory from the live events: nothing else knows the stage and
 * model of a run in progress without asking the worker. Started by a claim (or, for a run
 * that is never claimed, such as a follow-up, its first stage), ended by publish, failure
 * or requeue.
 */
export class LiveRuns {
  private readonly runs = new Map<string, LiveRun>();
  private readonly offs: Array<() => void> = [];

  constructor(
    events: EventBus,
    private readonly clock: () => number,
  ) {
    const end = (e: { taskId: string }) => this.runs.delete(e.taskId);
    this.offs.push(
      events.on('task.claimed', (e) => {
        this.runs.set(e.taskId, {
          taskId: e.taskId,
          file: e.file,
          stage: undefined,
          claimedAt: this.clock(),
          model: undefined,
          attempt: undefined,
        });
      }),
      events.on('task.stage', (e) => {
        const run = this.runs.get(e.taskId) ?? this.start(e.taskId, e.file, this.clock() - e.elapsedMs);
        run.stage = e.stage;
        run.file ??= e.file;
      }),
      events.on('attempt.started', (e) => {
        const run = this.runs.get(e.taskId) ?? this.start(e.taskId, e.file, this.clock());
        run.model = e.model;
        run.attempt = e.attemptNumber;
      }),
      events.on('task.published', end),
      events.on('task.failed', end),
      events.on('task.requeued', end),
      events.on('task.completed', end),
    );
  }

  private start(taskId: string, file: string | undefined, claimedAt: number): LiveRun {
    const run: LiveRun = { taskId, file, stage: undefined, claimedAt, model: undefined, attempt: undefined };
    this.runs.set(taskId, run);
    return run;
  }

  /**
   * The runs, oldest claim first. `processing` (the worker's task ids) adds a run the events
   * did not show, so a task is never missing from the list while the worker holds it.
   */
  list(processing: readonly string[] = []): RunningTask[] {
    const now = this.clock();
    const out = [...this.runs.values()]
      .sort((a, b) => a.claimedAt - b.claimedAt)
      .map((r) => ({
        taskId: r.taskId,
        file: r.file,
        stage: r.stage,
        elapsedMs: Math.max(0, now - r.claimedAt),
        model: r.model,
        attempt: r.attempt,
      }));
    for (const taskId of processing) {
      if (!this.runs.has(taskId))
        out.push({
          taskId,
          file: undefined,
          stage: undefined,
          elapsedMs: 0,
          model: undefined,
          attempt: undefined,
        });
    }
    return out;
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
    this.runs.clear();
  }
}
