import type { ErrorCode } from '../errors/index.js';

/*
 * Error codes of the pipeline's security checks. `ErrorCode` (src/errors) does not list them
 * yet, hence the casts; drop them once it does.
 */

/** The change touches `.git`, `.gitmodules`, hooks or `.gitattributes` drivers (not retryable). */
export const AGENT_PROTECTED_PATH = 'AGENT_PROTECTED_PATH' as string as ErrorCode;
/** The task's `repo:` is not in `repository.allowed` (not retryable). */
export const TASK_REPO_NOT_ALLOWED = 'TASK_REPO_NOT_ALLOWED' as string as ErrorCode;
/** The task's `baseBranch:` is not in `repository.allowedBaseBranches` (not retryable). */
export const TASK_BASE_NOT_ALLOWED = 'TASK_BASE_NOT_ALLOWED' as string as ErrorCode;
