export { type DependencyState, PriorityQueue, type Queue, type QueueItem } from './priority-queue.js';
export { type AdmissionOptions, QueueSet, type QueueStats, type SlaBreach } from './queue-set.js';
export { DEFAULT_QUEUE, type QueueConfig, type QueueDef, queueDefs, routeTask } from './routing.js';
export {
  nextSlaDue,
  pastSla,
  QUEUE_PRIORITIES,
  type QueuePriority,
  type SlaMinutes,
  type SlaStep,
  slaSteps,
} from './sla.js';
export { type QueueSnapshotDeps, queuedSince, queueSnapshot } from './snapshot.js';
