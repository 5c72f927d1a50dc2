export { classify, classifyStatus } from './classify.js';
export { type ErrorCode, TpError, type TpErrorOptions } from './tp-error.js';
