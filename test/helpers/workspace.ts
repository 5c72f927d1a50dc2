import path from 'node:path';
import { Workspace, type WorkspaceOptions } from '../../src/workspace/index.js';

/** A Workspace under `<root>/repos` with test defaults (one push attempt, no signing); `over` replaces fields. */
export function testWorkspace(root: string, over: Partial<WorkspaceOptions> = {}): Workspace {
  return new Workspace({
    reposDir: path.join(root, 'repos'),
    author: { name: 'A', email: 'a@b' },
    signCommits: false,
    pushRetries: 1,
    pushRetryDelayMs: 1,
    secrets: [],
    env: process.env,
    ...over,
  });
}
