import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/index.js';
import { taskFileName } from '../../../src/tasks/index.js';
import { folderContents, makeProject, runCli } from '../../helpers/project.js';

const WRITE = 'echo "change $TP_TASK_ID" > "file-$TP_TASK_ID.txt"';

describe('taskIdFormat.pattern names created task files', () => {
  it('writes the id with the pattern, and intake reads it back with extractRegex', async () => {
    const { root } = await makeProject({
      taskIdFormat: { pattern: 'TICKET-{id}', extractRegex: 'TICKET-(\\d+)' },
      agent: { type: 'command', command: WRITE },
      sandbox: { mode: 'none' },
      webhook: { autoMergePR: false },
    });
    const made = await runCli(['create-task', '-t', 'Add login'], { cwd: root });
    expect(made.code).toBe(0);
    expect(folderContents(root).todo).toEqual(['TICKET-1 - Add login.md']);
    const run = await runCli(['start', '--once'], { cwd: root });
    expect(run.code).toBe(0);
    expect(folderContents(root).review).toEqual(['TICKET-1 - Add login.md']);
  });

  it('refuses a pattern the regex cannot read back, naming the key and what was read', () => {
    for (const [taskIdFormat, read] of [
      [{ pattern: 'T{id}', extractRegex: 'task-(\\d+)' }, 'nothing'],
      [{ pattern: 'task-N', extractRegex: 'task-(\\d+)' }, 'nothing'],
      [{ pattern: 'task-{id}', extractRegex: 'task-(\\d)' }, '1'],
    ] as const) {
      const r = configSchema.safeParse({ taskIdFormat });
      expect(r.success).toBe(false);
      const issue = r.error?.issues[0];
      expect(issue?.path).toEqual(['taskIdFormat', 'pattern']);
      expect(issue?.message).toContain(`reads ${read}`);
    }
    expect(configSchema.safeParse({ taskIdFormat: { extractRegex: 'task-((' } }).success).toBe(false);
    expect(
      configSchema.safeParse({ taskIdFormat: { pattern: 'JOB-{id}', extractRegex: 'JOB-(\\d+)' } }).success,
    ).toBe(true);
    expect(taskFileName('7', 'Fix: the bug?', 'JOB-{id}')).toBe('JOB-7 - Fix the bug.md');
  });
});
