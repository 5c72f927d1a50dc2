import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/index.js';
import { completeTask } from '../../../src/pipeline/completion.js';
import { gitOut, tmpDir } from '../../helpers/project.js';

const BACKLOG = fileURLToPath(new URL('../../../node_modules/.bin/backlog', import.meta.url));
const backlog = (cwd: string, ...args: string[]) =>
  execa(BACKLOG, args, { cwd, env: { NO_COLOR: '1', CI: '1' } });

describe('Backlog.md projects', () => {
  it('processes backlog/tasks in place: In Progress, PR link in notes, Done on merge; `backlog task view` still reads it', async () => {
    const repo = tmpDir('tp-backlog-');
    await execa('git', ['init', '-q', '-b', 'main'], { cwd: repo });
    await execa('git', ['config', 'user.email', 't@example.com'], { cwd: repo });
    await execa('git', ['config', 'user.name', 't'], { cwd: repo });
    await backlog(repo, 'init', 'demo', '--defaults', '--integration-mode', 'none');
    await backlog(
      repo,
      'task',
      'create',
      'Add greeting',
      '-d',
      'Write hello.txt',
      '--ac',
      'hello.txt exists',
      '--priority',
      'high',
    );
    await backlog(repo, 'task', 'create', 'Will fail', '-d', 'The agent breaks on this one');
    await backlog(repo, 'task', 'create', 'Not for us', '-s', 'Done');
    writeFileSync(path.join(repo, 'README.md'), '# project\n');
    await execa('git', ['add', '-A'], { cwd: repo });
    await execa('git', ['commit', '-qm', 'init'], { cwd: repo });
    writeFileSync(
      path.join(repo, 'config.json'),
      JSON.stringify({
        webhook: { enabled: false },
        agent: {
          type: 'command',
          command: 'if [ "$TP_TASK_ID" = 2 ]; then echo nope >&2; exit 1; fi; echo hello > hello.txt',
        },
        ollama: { availableModels: [] },
        folders: { repos: `../repos-${path.basename(repo)}` },
      }),
    );
    const app = await createApp(loadConfig({ cwd: repo, env: {} }));
    try {
      expect(app.source.format).toBe('backlog');
      await app.worker.start({ watch: false });
      await app.worker.idle();
      // The target repository is the one holding backlog/; the branch went to it.
      expect(gitOut(['show', 'task-1:hello.txt'], repo)).toBe('hello');
      const view1 = (await backlog(repo, 'task', 'view', '1', '--plain')).stdout;
      expect(view1).toMatch(/Status:\s*◒?\s*In Progress/);
      expect(view1).toContain('pull request local:');
      const view2 = (await backlog(repo, 'task', 'view', '2', '--plain')).stdout;
      expect(view2).toContain('failed');
      expect(view2).toMatch(/AGENT_FAILED/);
      expect(readdirSync(path.join(repo, 'backlog/failed')).sort()).toEqual(
        expect.arrayContaining([expect.stringMatching(/^task-2 - .*\.error\.json$/)]),
      );
      const counts = await app.source.counts();
      expect(counts).toMatchObject({ review: 1, failed: 1, completed: 1, todo: 0, doing: 0 });

      const pr = app.store.listPullRequests()[0]!;
      await app.forge.merge(pr.number);
      await completeTask({ ...app }, '1', { prNumber: pr.number, via: 'cli' });
      const done = (await backlog(repo, 'task', 'view', '1', '--plain')).stdout;
      expect(done).toMatch(/Status:\s*✔?\s*Done/);
      expect(done).toContain('merged; task completed');
      expect(gitOut(['show', 'main:hello.txt'], repo)).toBe('hello');
      const file = readdirSync(path.join(repo, 'backlog/tasks')).find((f) => f.startsWith('task-1 '))!;
      expect(readFileSync(path.join(repo, 'backlog/tasks', file), 'utf8')).toContain(
        '<!-- SECTION:NOTES:BEGIN -->',
      );
    } finally {
      await app.close();
    }
  });
});
