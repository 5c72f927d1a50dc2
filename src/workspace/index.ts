export {
  type GitLog,
  type GitOptions,
  git,
  gitEnv,
  type PushAuth,
  refuseOptionLike,
  SAFE_GIT_CONFIG,
} from './git.js';
export { claimSlot, type Slot } from './slot.js';
export { ensurePerTaskRepo, gitTopLevel } from './target.js';
export { type PreparedWorktree, TASK_TRAILER, Workspace, type WorkspaceOptions } from './workspace.js';
