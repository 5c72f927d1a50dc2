export { type ClassifyStatusOptions, classify, classifyStatus, type StatusDomain } from './classify.js';
export { type ErrorCode, TpError, type TpErrorDetails, type TpErrorOptions } from './tp-error.js';
