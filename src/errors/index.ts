export { type ClassifyStatusOptions, classify, classifyStatus, type StatusDomain } from './classify.js';
export {
  type ErrorCode,
  type FailureAttempt,
  type FailureFinding,
  TpError,
  type TpErrorDetails,
  type TpErrorOptions,
} from './tp-error.js';
