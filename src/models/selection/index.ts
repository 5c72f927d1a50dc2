export {
  type Classification,
  classifyTask,
  filesNamed,
  LABEL_POINTS,
  taskKinds,
} from './classifier.js';
export { type Evidence, formatDuration, History, type Prior } from './history.js';
export {
  MODEL_FAULT_CODES,
  type ModelRunOutcome,
  previousFailures,
  recordOutcome,
} from './outcomes.js';
export { DefaultModelSelector, NEAR_TIE, type SelectorOptions } from './selector.js';
export { TIER_ORDER, type TierConfig, Tiers, uniqueModels } from './tiers.js';
export type {
  HostView,
  ModelSelector,
  Selection,
  SelectionContext,
  SelectionStrategy,
  SizeBucket,
} from './types.js';
