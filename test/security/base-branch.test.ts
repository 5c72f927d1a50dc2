import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { folderContents, gitOut, makeProject, writeTask } from '../helpers/project.js';

/*
 * Issue 9, finding 8 (second half): a task file may not pick its own base branch. On the old
 * code a task with `baseBranch: production` was published against production, and with
 * passing checks auto-merged into it.
 */

async function project(repository: Record<string, unknown> = {}) {
  const made = await makeProject({
    agent: { type: 'command', command: 'echo shipped > shipped.txt' },
    verify: { commands: ['true'] },
    ollama: { availableModels: [] },
    repository,
  });
  // A second long-lived branch next to main, at the same commit.
  gitOut(['branch', 'production', 'main'], made.remote);
  return made;
}

describe('task baseBranch outside repository.allowedBaseBranches', () => {
  it('fails the task, not retryable, naming the key to change, and pushes nothing', async () => {
    const { root, remote } = await project();
    const production = gitOut(['rev-parse', 'production'], remote);
    writeTask(root, '1', { title: 'To production', extra: 'baseBranch: production' });
    const app = await createApp(loadConfig({ cwd: root, env: {} }));
    try {
      await app.worker.start({ watch: false });
      await app.worker.idle();
      expect(folderContents(root).failed).toEqual(['task-1 - To production.md']);
      const report = JSON.parse(
        readFileSync(path.join(root, 'backlog/failed/task-1 - To production.error.json'), 'utf8'),
      );
      expect(report).toMatchObject({ code: 'TASK_BASE_NOT_ALLOWED', retryable: false });
      expect(report.error).toContain('production');
      expect(report.hint).toContain('repository.allowedBaseBranches');
      expect(gitOut(['rev-parse', 'production'], remote)).toBe(production);
      expect(
        gitOut(['branch', '--list'], remote)
          .split('\n')
          .map((b) => b.trim().replace(/^\* /, '')),
      ).toEqual(['main', 'production']);
      expect(app.store.listPullRequests()).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('accepts a base branch the operator listed, and the configured base without a list', async () => {
    const { root, remote } = await project({ allowedBaseBranches: ['main', 'production'] });
    writeTask(root, '1', { title: 'To production', extra: 'baseBranch: production' });
    writeTask(root, '2', { title: 'To main', extra: 'baseBranch: main' });
    const app = await createApp(loadConfig({ cwd: root, env: {} }));
    try {
      await app.worker.start({ watch: false });
      await app.worker.idle();
      const prs = app.store.listPullRequests();
      expect(prs.map((p) => [p.head, p.base]).sort()).toEqual([
        ['task-1', 'production'],
        ['task-2', 'main'],
      ]);
      expect(gitOut(['show', 'production:shipped.txt'], remote)).toBe('shipped');
    } finally {
      await app.close();
    }
  });
});
