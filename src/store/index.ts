export {
  AUDIT_GENESIS,
  type AuditListOptions,
  type AuditRecord,
  type AuditVerifyResult,
  auditRowHash,
} from './audit-chain.js';
export type { DispatchedJob, JobLedger } from './job-ledger.js';
export { SqliteStore } from './sqlite-store.js';
export type { AttemptWindowStats, AuditEventRow, ReviewTotals } from './stats-queries.js';
export type {
  AttemptRecord,
  ModelOutcomeRecord,
  ModelOutcomeStats,
  NewNotification,
  NotificationRecord,
  NotificationStatus,
  NotificationUpdate,
  PullRequestRecord,
  ReviewCommentRecord,
  RunRecord,
  RunState,
  Store,
} from './types.js';
