import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitOut, makeProject } from '../../helpers/project.js';
import { testWorkspace } from '../../helpers/workspace.js';

describe('Workspace.commit', () => {
  it('returns the sha of the new commit on the task branch', async () => {
    const { root, remote } = await makeProject();
    const ws = testWorkspace(root);
    const wt = await ws.prepare(remote, 'main', 'task-9');
    writeFileSync(path.join(wt.dir, 'x.txt'), 'x');
    const sha = await ws.commit(wt, 'msg', '9');
    expect(sha).toBe(gitOut(['rev-parse', 'HEAD'], wt.dir));
    expect(sha).not.toBe(wt.baseSha);
    await ws.cleanup(remote, wt);
  });
});
