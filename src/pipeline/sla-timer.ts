import path from 'node:path';
import type { EventBus } from '../events/index.js';
import type { Logger } from '../observability/index.js';
import type { QueueSet } from '../queue/index.js';

/** Longest single SLA timer; a later raise re-arms it (setTimeout cannot wait past ~24 days). */
const MAX_SLA_TIMER_MS = 3_600_000;

export interface SlaTimerDeps {
  queues: QueueSet;
  events: EventBus;
  logger: Logger;
}

/**
 * The scheduler's SLA clock: raises queued tasks that waited past their queue's SLA (one
 * priority step per period) and wakes the scheduler when the next raise falls due, so a
 * raise happens even when no task starts or ends meanwhile.
 */
export class SlaTimer {
  /** Unref'd: it never keeps the process alive. */
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: SlaTimerDeps,
    /** Called when a raise falls due: the scheduler looks at its queues again. */
    private readonly onDue: () => void,
  ) {}

  /** Raises what is past its SLA now, with a `task.sla_breached` event and a log line each. */
  raisePastSla(now = Date.now()): void {
    for (const b of this.deps.queues.checkSla(now)) {
      const minutes = Math.round(b.waitedMs / 60_000);
      this.deps.logger.warn(
        { taskId: b.taskId, queue: b.queue, from: b.from, to: b.to, waitedMs: b.waitedMs },
        `task ${b.taskId} waited ${minutes} min in queue ${b.queue}, past the ${b.from} SLA: raised to ${b.to}`,
      );
      this.deps.events.emit('task.sla_breached', {
        taskId: b.taskId,
        file: path.basename(b.file),
        from: b.from,
        to: b.to,
        waitedMs: b.waitedMs,
      });
    }
  }

  /** (Re)arms the timer for the next raise, if any task can still be raised. */
  arm(now = Date.now()): void {
    this.stop();
    const inMs = this.deps.queues.nextSlaCheckIn(now);
    if (inMs === undefined) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.onDue();
      },
      Math.min(inMs, MAX_SLA_TIMER_MS),
    );
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
