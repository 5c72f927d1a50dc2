export { EventBus } from './event-bus.js';
export type {
  ModelEventName,
  PipelineStage,
  TaggedEvent,
  TaskEventBase,
  TpEventName,
  TpEvents,
} from './types.js';
