import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Workspace } from '../../../src/workspace/index.js';
import { gitOut, makeProject } from '../../helpers/project.js';

describe('Workspace.commit', () => {
  it('returns the sha of the new commit on the task branch', async () => {
    const { root, remote } = await makeProject();
    const ws = new Workspace({
      reposDir: path.join(root, 'repos'),
      author: { name: 'A', email: 'a@b' },
      signCommits: false,
      pushRetries: 1,
      pushRetryDelayMs: 1,
      secrets: [],
    });
    const wt = await ws.prepare(remote, 'main', 'task-9');
    writeFileSync(path.join(wt.dir, 'x.txt'), 'x');
    const sha = await ws.commit(wt, 'msg', '9');
    expect(sha).toBe(gitOut(['rev-parse', 'HEAD'], wt.dir));
    expect(sha).not.toBe(wt.baseSha);
    await ws.cleanup(remote, wt);
  });
});
