import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderContents, gitOut, makeProject, runCli, writeTask } from '../../helpers/project.js';

const WRITE = 'echo "change $TP_TASK_ID" > "file-$TP_TASK_ID.txt"';

describe('git.createPR: false', () => {
  it('pushes the branch, opens no pull request, and puts the task in review/', async () => {
    const { root, remote } = await makeProject({
      git: { createPR: false },
      agent: { type: 'command', command: WRITE },
      sandbox: { mode: 'none' },
    });
    writeTask(root, '5', { title: 'Push only' });
    const run = await runCli(['start', '--once'], { cwd: root });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('branch task-5 pushed (git.createPR is false)');
    expect(folderContents(root).review).toEqual(['task-5 - Push only.md']);
    // The branch is on the remote with the agent's change; the base branch is untouched.
    expect(gitOut(['show', 'task-5:file-5.txt'], remote)).toBe('change 5');
    expect(gitOut(['ls-tree', '--name-only', 'main'], remote)).not.toContain('file-5.txt');
    const prs = await runCli(['pr', 'list'], { cwd: root });
    expect(prs.stdout).not.toContain('task-5');
    const status = await runCli(['status', '--json'], { cwd: root });
    expect(status.code).toBe(0);
    expect(readFileSync(path.join(root, 'backlog/review/task-5 - Push only.md'), 'utf8')).toContain(
      'Push only',
    );
  });
});
