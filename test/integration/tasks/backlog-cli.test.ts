import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backlogStatusFor,
  parseBacklogConfig,
  parseBacklogTask,
  updateBacklogTask,
} from '../../../src/tasks/index.js';

/**
 * The real Backlog.md CLI (npm backlog.md, a devDependency) is the ground truth for the
 * format: it writes the files, we parse and update them, and it must still read them.
 */
const BACKLOG = fileURLToPath(new URL('../../../node_modules/.bin/backlog', import.meta.url));
let project = '';
const tasksDir = () => join(project, 'backlog', 'tasks');

async function backlog(...args: string[]): Promise<string> {
  const res = await execa(BACKLOG, args, { cwd: project, env: { NO_COLOR: '1', CI: '1' }, reject: true });
  return res.stdout;
}

function fileOf(id: number): string {
  const name = readdirSync(tasksDir()).find((f) => f.startsWith(`task-${id} - `));
  if (!name) throw new Error(`no file for task ${id}`);
  return join(tasksDir(), name);
}

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'tp-backlog-'));
  await execa('git', ['init', '-q'], { cwd: project });
  await execa('git', ['config', 'user.email', 't@example.com'], { cwd: project });
  await execa('git', ['config', 'user.name', 't'], { cwd: project });
  await backlog('init', 'tp-test', '--defaults', '--integration-mode', 'none');
  await backlog('task', 'create', 'Simple task');
  await backlog(
    'task',
    'create',
    'Add user auth',
    '-d',
    'Implement OAuth 2.0',
    '--ac',
    'Login with Google',
    '--ac',
    'Login with GitHub',
    '-l',
    'backend,security',
    '--priority',
    'high',
    '-a',
    '@alice',
  );
  await backlog(
    'task',
    'create',
    'Dependent: with ünïcode — title',
    '-d',
    'Multi\nline\n\ndescription',
    '--dep',
    'task-2',
    '--dep',
    'task-1',
    '--priority',
    'low',
    '--type',
    'bug',
  );
  await backlog(
    'task',
    'create',
    'In progress task',
    '-s',
    'In Progress',
    '--plan',
    '1. step one\n2. step two',
    '--notes',
    'Some notes here',
    '--ac',
    'one',
  );
  await backlog(
    'task',
    'create',
    'Done task',
    '-s',
    'Done',
    '--final-summary',
    'All done',
    '--ref',
    'https://example.com',
  );
  await backlog(
    'task',
    'create',
    'DoD task',
    '-d',
    'desc',
    '--ac',
    'ac1',
    '--dod',
    'tests pass',
    '-l',
    'with space',
  );
  await backlog('task', 'create', 'Commented task', '-d', 'has a comment');
  await backlog('task', 'edit', '7', '--comment', 'a comment');
}, 120_000);

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

const IDS = [1, 2, 3, 4, 5, 6, 7];

describe('Backlog.md files written by the real CLI', () => {
  it('parse, and updateBacklogTask(t, {}) returns every file byte for byte', () => {
    for (const id of IDS) {
      const text = readFileSync(fileOf(id), 'utf8');
      expect(updateBacklogTask(text, {})).toBe(text);
      const res = parseBacklogTask(text, { fileName: fileOf(id) });
      expect(res.ok, `task ${id}: ${JSON.stringify(!res.ok && res.problems)}`).toBe(true);
      if (res.ok) expect(res.task.id).toBe(String(id));
    }
    const two = parseBacklogTask(readFileSync(fileOf(2), 'utf8'), { fileName: fileOf(2) });
    expect(two.ok && two.task).toMatchObject({
      title: 'Add user auth',
      status: 'To Do',
      priority: 'high',
      description: 'Implement OAuth 2.0',
      acceptanceCriteria: ['Login with Google', 'Login with GitHub'],
      labels: ['backend', 'security'],
      assignee: '@alice',
      rawId: 'TASK-2',
    });
  });

  it('reads backlog/config.yml as init wrote it', () => {
    const config = parseBacklogConfig(readFileSync(join(project, 'backlog', 'config.yml'), 'utf8'));
    expect(config.statuses).toEqual(['To Do', 'In Progress', 'Done']);
    expect(config.defaultStatus).toBe('To Do');
    expect(config.taskPrefix).toBe('task');
    expect(backlogStatusFor(config, 'claimed')).toBe('In Progress');
    expect(backlogStatusFor(config, 'review')).toBeUndefined();
  });

  it.each(IDS)(
    'task %i: our status/label/notes update equals `backlog task edit` byte for byte',
    async (id) => {
      const path = fileOf(id);
      const original = readFileSync(path, 'utf8');
      const note = `PR: http://127.0.0.1/pr/${id}\nresult: ok`;
      await backlog(
        'task',
        'edit',
        String(id),
        '-s',
        'In Progress',
        '--add-label',
        'failed',
        '--append-notes',
        note,
      );
      const byCli = readFileSync(path, 'utf8');
      const updatedDate = /^updated_date: '([^']+)'$/m.exec(byCli)?.[1];
      expect(updatedDate).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d$/);
      const ours = updateBacklogTask(original, {
        status: 'In Progress',
        addLabels: ['failed'],
        appendNotes: note,
        updatedDate,
      });
      writeFileSync(path, original);
      expect(ours).toBe(byCli);
    },
  );

  it('the CLI still reads a file after our update: status, label and notes visible', async () => {
    const path = fileOf(2);
    const updated = updateBacklogTask(readFileSync(path, 'utf8'), {
      status: 'Done',
      removeLabels: ['security'],
      addLabels: ['failed'],
      appendNotes: 'Pull request: http://127.0.0.1:3000/o/r/pulls/9',
      updatedDate: '2026-01-02 03:04',
    });
    writeFileSync(path, updated);
    const view = await backlog('task', 'view', '2', '--plain');
    expect(view).toMatch(/Status: .*Done/);
    expect(view).toMatch(/Labels: backend, failed/);
    expect(view).toContain('Pull request: http://127.0.0.1:3000/o/r/pulls/9');
    expect(view).toContain('- [ ] #1 Login with Google');
    const again = parseBacklogTask(updated, { fileName: path });
    expect(again.ok && again.task.implementationNotes).toBe(
      'Pull request: http://127.0.0.1:3000/o/r/pulls/9',
    );
  });

  it('keeps CRLF line endings and the CLI reads the result', async () => {
    const path = fileOf(6);
    const crlf = readFileSync(path, 'utf8').replace(/\r?\n/g, '\r\n');
    expect(updateBacklogTask(crlf, {})).toBe(crlf);
    const updated = updateBacklogTask(crlf, { status: 'In Progress', appendNotes: 'crlf note' });
    expect(updated.replace(/\r\n/g, '')).not.toContain('\n');
    expect(updated).toContain('status: In Progress\r\n');
    writeFileSync(path, updated);
    const view = await backlog('task', 'view', '6', '--plain');
    expect(view).toMatch(/Status: .*In Progress/);
    expect(view).toContain('crlf note');
    expect(view).toContain('tests pass');
  });
});
