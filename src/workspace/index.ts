export {
  type GitLog,
  type GitOptions,
  git,
  gitEnv,
  refuseOptionLike,
  SAFE_GIT_CONFIG,
} from './git.js';
export { ensurePerTaskRepo, gitTopLevel } from './target.js';
export { type PreparedWorktree, TASK_TRAILER, Workspace, type WorkspaceOptions } from './workspace.js';
