import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openAppsClosedAfterEach } from '../../helpers/apps.js';
import { folderContents, gitOut, makeProject, writeTask } from '../../helpers/project.js';
import { waitFor } from '../../helpers/serve.js';

const worktrees = (root: string) => {
  const dir = path.join(root, 'repos', 'worktrees');
  return existsSync(dir) ? readdirSync(dir) : [];
};

describe('start-up warm-up of the default repository (memory backend)', () => {
  const open = openAppsClosedAfterEach();

  it('an idle service has the cache and two worktrees per slot ready; the first task takes one of them', async () => {
    const { root, remote } = await makeProject({
      processing: { concurrency: 2 },
      agent: { type: 'command', command: 'echo change > change.txt' },
    });
    const app = await open(root);
    await app.worker.start({ watch: true });
    await waitFor(
      () => worktrees(root).length === 4,
      'four pre-made worktrees',
      20_000,
      () => worktrees(root),
    );
    const ready = worktrees(root);
    expect(readdirSync(path.join(root, 'repos', 'cache'))).toHaveLength(1);

    writeTask(root, '1', { title: 'First task' });
    await waitFor(
      () => folderContents(root).review?.length === 1,
      'the task in review',
      20_000,
      () => folderContents(root),
    );
    // The task ran in a pre-made worktree: no fifth one was made.
    expect(worktrees(root).sort()).toEqual(ready.sort());
    expect(gitOut(['for-each-ref', '--format=%(refname)', 'refs/heads/'], remote)).toContain(
      'refs/heads/task-1',
    );
  });

  it('a task queued at each restart runs while the warm-up makes worktrees, and fails only for its own reason', async () => {
    // The agent changes nothing: each task must end AGENT_NO_CHANGES, never a git failure of
    // the warm-up's making (a fetch racing a worktree add failed with GIT_FAILED).
    const { root } = await makeProject({
      processing: { concurrency: 2 },
      agent: { type: 'command', command: 'true' },
    });
    const app = await open(root);
    for (const id of ['1', '2', '3', '4']) {
      writeTask(root, id, { title: `Restart ${id}` });
      await app.worker.start({ watch: false });
      await app.worker.idle();
      const report = JSON.parse(
        readFileSync(path.join(root, 'backlog', 'failed', `task-${id} - Restart ${id}.error.json`), 'utf8'),
      );
      expect(report.code, JSON.stringify(report)).toBe('AGENT_NO_CHANGES');
    }
  });
});
