export { EventBus } from './event-bus.js';
export type {
  PipelineStage,
  TaskEventBase,
  TpEventName,
  TpEvents,
} from './types.js';
