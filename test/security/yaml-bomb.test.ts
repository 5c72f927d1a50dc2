import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openAppsClosedAfterEach } from '../helpers/apps.js';
import { folderContents, makeProject, writeTask } from '../helpers/project.js';

// Finding 10 (third bullet): an alias bomb threw inside the YAML parser; the task stayed in
// todo/ or doing/, and a bomb in doing/ made the start-up resume throw.

const open = openAppsClosedAfterEach();

/** "Billion laughs": nine levels of nine aliases, 9^9 strings once expanded. */
function aliasBomb(title: string): string {
  const lines = [
    '---',
    `title: ${title}`,
    'priority: medium',
    'l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ];
  for (let i = 1; i <= 8; i++) {
    const p = `*l${i - 1}`;
    lines.push(`l${i}: &l${i} [${Array(9).fill(p).join(',')}]`);
  }
  lines.push('description: boom', '---', '', `# ${title}`, '');
  return lines.join('\n');
}

const WRITE = 'echo "done $TP_TASK_ID" > "file-$TP_TASK_ID.txt"';

function errorJson(root: string, stem: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(root, 'backlog/failed', `${stem}.error.json`), 'utf8'));
}

describe('YAML alias bombs and unexpected read errors', () => {
  it('fails alias bombs in todo/ and doing/ with the reason, and still processes the normal task', async () => {
    const { root } = await makeProject({ agent: { type: 'command', command: WRITE } });
    writeFileSync(path.join(root, 'backlog/todo/task-1 - Bomb in todo.md'), aliasBomb('Bomb in todo'));
    writeFileSync(path.join(root, 'backlog/doing/task-2 - Bomb in doing.md'), aliasBomb('Bomb in doing'));
    writeTask(root, '3', { title: 'Normal task' });
    const app = await open(root);

    await app.worker.start({ watch: false });
    await app.worker.idle();

    expect(folderContents(root)).toMatchObject({
      todo: [],
      doing: [],
      review: ['task-3 - Normal task.md'],
      failed: ['task-1 - Bomb in todo.md', 'task-2 - Bomb in doing.md'],
    });
    for (const stem of ['task-1 - Bomb in todo', 'task-2 - Bomb in doing']) {
      const report = errorJson(root, stem);
      expect(report).toMatchObject({ code: 'TASK_INVALID', errorType: 'invalid', retryable: false });
      expect(String(report.error)).toMatch(/alias/i);
      expect(report.line).toBeGreaterThanOrEqual(2);
    }
  });

  it('a read that throws for one file fails that file and keeps the worker going (todo/ and doing/)', async () => {
    const { root } = await makeProject({ agent: { type: 'command', command: WRITE } });
    writeTask(root, '4', { title: 'Unreadable in doing' }, 'doing');
    writeTask(root, '5', { title: 'Unreadable in todo' });
    writeTask(root, '6', { title: 'Readable' });
    const app = await open(root);
    const read = app.source.read.bind(app.source);
    // Fault injection on the real source: the disk fails for two files only.
    app.source.read = async (file: string) => {
      if (/Unreadable/.test(path.basename(file))) {
        throw Object.assign(new Error(`EIO: i/o error, read '${file}'`), { code: 'EIO' });
      }
      return read(file);
    };

    await app.worker.start({ watch: false });
    await app.worker.idle();

    const folders = folderContents(root);
    expect(folders.review).toEqual(['task-6 - Readable.md']);
    expect(folders.failed).toEqual(['task-4 - Unreadable in doing.md', 'task-5 - Unreadable in todo.md']);
    expect(folders.todo).toEqual([]);
    expect(folders.doing).toEqual([]);
    const report = errorJson(root, 'task-5 - Unreadable in todo');
    expect(String(report.error)).toContain('EIO');
    expect(report.retryable).toBe(true);
    expect(existsSync(path.join(root, 'backlog/failed/task-4 - Unreadable in doing.error.log'))).toBe(true);
  });
});
