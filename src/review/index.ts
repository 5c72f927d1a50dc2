export * from './code-review/index.js';
export { type DiffFile, parseDiff } from './diff-parse.js';
export {
  driverAttribute,
  HOOK_DIRECTORIES,
  isGitattributes,
  protectedPathReason,
  protectedPathViolations,
} from './protected-paths.js';
export { MAX_SCAN_CHARS, type ScanOptions, type SecretFinding, scanDiff } from './secret-scan.js';
