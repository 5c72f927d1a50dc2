export { type DependencyState, PriorityQueue, type Queue, type QueueItem } from './priority-queue.js';
