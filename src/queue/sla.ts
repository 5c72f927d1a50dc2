/** Queue priorities, most urgent first. `critical` is reached only by an SLA raise or a queue rule. */
export const QUEUE_PRIORITIES = ['critical', 'high', 'medium', 'low'] as const;
export type QueuePriority = (typeof QUEUE_PRIORITIES)[number];

/** `processing.slaMinutes`: minutes a task of each priority may wait before it is raised one step. */
export type SlaMinutes = Partial<Record<QueuePriority, number>>;

const UP: Record<QueuePriority, QueuePriority | undefined> = {
  low: 'medium',
  medium: 'high',
  high: 'critical',
  critical: undefined,
};

const MINUTE = 60_000;

/** One priority raise that a wait makes due. */
export interface SlaStep {
  from: QueuePriority;
  to: QueuePriority;
  /** Waiting time (ms) at which the step falls due. */
  dueAtMs: number;
}

/**
 * The raises a task of priority `start` has earned after waiting `waitedMs`. Each level's SLA
 * counts from the moment the task reached that level, so a task climbs one step per SLA
 * period and never jumps two at once; a level without an SLA ends the climb.
 *
 * A pure function of the wait, so the worker and `status` (another process, reading the
 * folders) agree on where a task stands.
 */
export function slaSteps(start: QueuePriority, waitedMs: number, sla: SlaMinutes): SlaStep[] {
  const steps: SlaStep[] = [];
  let level = start;
  let since = 0;
  for (;;) {
    const to = UP[level];
    const minutes = sla[level];
    if (!to || minutes === undefined) return steps;
    const dueAtMs = since + minutes * MINUTE;
    // "Longer than" the SLA: exactly at the limit is still within it.
    if (waitedMs <= dueAtMs) return steps;
    steps.push({ from: level, to, dueAtMs });
    level = to;
    since = dueAtMs;
  }
}

/**
 * Waiting time at which the next raise after `applied` steps falls due, or undefined when the
 * task cannot climb further.
 */
export function nextSlaDue(start: QueuePriority, applied: number, sla: SlaMinutes): number | undefined {
  let level = start;
  let since = 0;
  for (let i = 0; ; i++) {
    const to = UP[level];
    const minutes = sla[level];
    if (!to || minutes === undefined) return undefined;
    const due = since + minutes * MINUTE;
    if (i === applied) return due;
    level = to;
    since = due;
  }
}

/** Whether a task has waited longer than the SLA of the priority it was queued with. */
export function pastSla(priority: QueuePriority, waitedMs: number, sla: SlaMinutes): boolean {
  const minutes = sla[priority];
  return minutes !== undefined && waitedMs > minutes * MINUTE;
}
