export {
  type BacklogProjectConfig,
  type BacklogStage,
  backlogStatusFor,
  parseBacklogConfig,
} from './backlog-config.js';
export { parseBacklogTask } from './backlog-parse.js';
export { type BacklogTaskChange, backlogTimestamp, updateBacklogTask } from './backlog-update.js';
export { normalizeTaskRef, taskFileName, taskIdFromFileName } from './ids.js';
export { parseNewTaskInputs } from './new-task-input.js';
export { type NewTaskInput, type ParseResult, parseOriginalTask, serializeOriginalTask } from './original.js';
export type { Priority, Task, TaskFormat, TaskProblem } from './types.js';
