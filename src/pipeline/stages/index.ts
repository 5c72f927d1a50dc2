import type { Stage } from '../run-context.js';
import { runAgent } from './agent.js';
import { commit } from './commit.js';
import { guard } from './guard.js';
import { push } from './push.js';
import { review } from './review.js';
import { secretScan } from './secret-scan.js';
import { verify } from './verify.js';

export { type AttemptAt, callAgent, followUpText, runAgent } from './agent.js';
export { commit } from './commit.js';
export { checkGitLink, gitLinkError, guard, protectedPathError, runError } from './guard.js';
export {
  autoMergeBlockers,
  NEEDS_ATTENTION,
  openPullRequest,
  type PrRequest,
  planPullRequest,
  publishPullRequest,
} from './pull-request.js';
export { alreadyPushed, push } from './push.js';
export { needsAttention, postReview, publishReview, review, reviewBlockers, reviewPost } from './review.js';
export { secretScan } from './secret-scan.js';
export { verify } from './verify.js';
export {
  cleanupWorkspace,
  prepareExistingWorkspace,
  prepareWorkspace,
  readGitLink,
  resolveTarget,
} from './workspace.js';

/**
 * From a prepared worktree to a pushed branch: the stages every kind of run (task, retry,
 * PR-comment follow-up) goes through, in this order. Each one can end the run; nothing is
 * committed before the guard, the secret scan and the code review (`codeReview`) have passed.
 */
export const CHANGE_STAGES: readonly Stage[] = [runAgent, verify, guard, secretScan, review, commit, push];
