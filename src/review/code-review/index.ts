export {
  type AuditOptions,
  type AuditOutcome,
  type AuditRun,
  DEPENDENCY_FILES,
  dependencyDirs,
  parseAudit,
  runDependencyAudit,
} from './audit.js';
export { chunkDiff, type DiffChunk, type DiffSection, splitDiff } from './diff-chunks.js';
export { systemPrompt, taskText } from './prompt.js';
export {
  findingsTable,
  fixInstructions,
  lineComments,
  type ReviewOutcome,
  reviewReport,
  severityLine,
  where,
} from './render.js';
export {
  anchor,
  CodeReviewer,
  type CodeReviewerOptions,
  parseReply,
  type ReviewChat,
  type ReviewInput,
  type ReviewResult,
  reviewBlockedError,
} from './reviewer.js';
export {
  bySeverity,
  COUNTED,
  countBySeverity,
  type Finding,
  findingSchema,
  REVIEW_REPLY_JSON_SCHEMA,
  type ReviewCategory,
  type ReviewReply,
  reviewReplySchema,
  type Severity,
} from './schema.js';
