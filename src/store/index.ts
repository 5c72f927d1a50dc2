export { SqliteStore } from './sqlite-store.js';
export type { AttemptRecord, PullRequestRecord, RunRecord, RunState, Store } from './types.js';
