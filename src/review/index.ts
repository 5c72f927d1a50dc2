export { HOOK_DIRECTORIES, protectedPathViolations } from './protected-paths.js';
export { type SecretFinding, scanDiff } from './secret-scan.js';
