import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeNewTask } from '../../src/cli/task-files.js';
import { FolderSource } from '../../src/intake/folder-source.js';
import type { FailureReport } from '../../src/intake/types.js';
import { SqliteStore } from '../../src/store/index.js';
import { openAppsClosedAfterEach } from '../helpers/apps.js';
import { folderContents, gitOut, makeProject, runCli, tmpDir, writeTask } from '../helpers/project.js';

// Finding 9: 8 concurrent `POST /api/tasks` got ids 21 (3×) and 22 (5×) and lost files; a
// second ticket reusing an id rode on the first ticket's PR; a new file overwrote one in review/.

const open = openAppsClosedAfterEach();

const WRITE = 'echo "work of $TP_TASK_ID" > "file-$TP_TASK_ID.txt"';
const idOf = (name: string) => /^task-(\d+)/.exec(name)?.[1];

function report(root: string, stem: string): FailureReport {
  return JSON.parse(readFileSync(path.join(root, 'backlog/failed', `${stem}.error.json`), 'utf8'));
}

describe('task id allocation', () => {
  it('8 concurrent creations through writeNewTask (the API path) get 8 distinct ids and 8 files', async () => {
    const { root } = await makeProject();
    writeTask(root, '20', { title: 'Existing' }, 'review');
    const app = await open(root);
    const made = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        writeNewTask(app, { title: i % 2 ? 'Same title' : `Title ${i}`, description: `n ${i}` }, true),
      ),
    );
    const ids = made.map((m) => m.id);
    expect(new Set(ids).size).toBe(8);
    expect(ids.map(Number).every((n) => n > 20)).toBe(true);
    const todo = folderContents(root).todo ?? [];
    expect(todo).toHaveLength(8);
    expect(new Set(todo.map(idOf)).size).toBe(8);
    for (const m of made) expect(readFileSync(m.file, 'utf8')).toContain('title:');
  });

  it('create-task and bulk-create from 4 OS processes at once give distinct ids', async () => {
    const { root } = await makeProject();
    // The store is created first: its schema migration has a race of its own between
    // processes opening a brand-new database (reported separately), not what is tested here.
    new SqliteStore(path.join(root, '.ticket-processor/state.db')).close();
    const bulk = (n: number) =>
      Array.from({ length: 12 }, (_, i) => ({ title: `Bulk ${n}.${i}`, autoProcess: true }));
    writeFileSync(path.join(root, 'a.json'), JSON.stringify(bulk(1)));
    writeFileSync(path.join(root, 'b.json'), JSON.stringify(bulk(2)));
    const runs = await Promise.all([
      runCli(['bulk-create', 'a.json'], { cwd: root }),
      runCli(['bulk-create', 'b.json'], { cwd: root }),
      runCli(['create-task', '--title', 'Parallel task', '-d', 'p1'], { cwd: root }),
      runCli(['create-task', '--title', 'Parallel task', '-d', 'p2'], { cwd: root }),
    ]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const todo = folderContents(root).todo ?? [];
    expect(todo).toHaveLength(26);
    expect(new Set(todo.map(idOf)).size).toBe(26);
  }, 60_000);

  it('scans every state folder (and failed/) for the highest id', async () => {
    const { root } = await makeProject();
    writeTask(root, '41', { title: 'Failed one' }, 'failed');
    writeTask(root, '7', { title: 'Done one' }, 'completed');
    const app = await open(root);
    expect((await writeNewTask(app, { title: 'Next' }, false)).id).toBe('42');
  });
});

describe('duplicate ids are refused', () => {
  it('a second ticket reusing an id in review/ goes to failed/ and never reaches the first PR', async () => {
    const { root, remote } = await makeProject({ agent: { type: 'command', command: WRITE } });
    writeTask(root, '5', { title: 'First ticket' });
    let app = await open(root);
    await app.worker.start({ watch: false });
    await app.worker.idle();
    expect(folderContents(root).review).toEqual(['task-5 - First ticket.md']);
    const firstHead = gitOut(['rev-parse', 'task-5'], remote);
    await app.close();

    writeTask(root, '5', { title: 'Second ticket' });
    app = await open(root);
    await app.worker.start({ watch: false });
    await app.worker.idle();

    expect(folderContents(root)).toMatchObject({
      todo: [],
      doing: [],
      review: ['task-5 - First ticket.md'],
      failed: ['task-5 - Second ticket.md'],
    });
    const r = report(root, 'task-5 - Second ticket');
    expect(r.code).toBe('TASK_DUPLICATE_ID');
    expect(r.error).toContain('task-5 - First ticket.md');
    expect(r.error).toContain('task-5 - Second ticket.md');
    expect(r.hint).toMatch(/rename/i);
    expect(gitOut(['rev-parse', 'task-5'], remote)).toBe(firstHead);
    expect(app.store.listPullRequests()).toHaveLength(1);
    expect(app.store.getRun('5')?.file).toBe('task-5 - First ticket.md');
  });

  it('a file reusing the id of a run in the store (file since deleted) is refused too', async () => {
    const { root } = await makeProject({ agent: { type: 'command', command: WRITE } });
    const app = await open(root);
    app.store.upsertRun({ taskId: '6', file: 'task-6 - Old ticket.md', format: 'folders', state: 'review' });
    writeTask(root, '6', { title: 'New ticket' });
    await app.worker.start({ watch: false });
    await app.worker.idle();
    expect(folderContents(root).failed).toEqual(['task-6 - New ticket.md']);
    expect(report(root, 'task-6 - New ticket').error).toContain('task-6 - Old ticket.md');
  });

  it('a new file with the same name as one in review/ never overwrites it', async () => {
    const { root } = await makeProject({ agent: { type: 'command', command: WRITE } });
    writeTask(root, '8', { title: 'Same name' });
    const app = await open(root);
    await app.worker.start({ watch: false });
    await app.worker.idle();
    const inReview = path.join(root, 'backlog/review/task-8 - Same name.md');
    const original = readFileSync(inReview, 'utf8');

    writeTask(root, '8', { title: 'Same name', description: 'IMPOSTOR' });
    await app.worker.inspect(path.join(root, 'backlog/todo/task-8 - Same name.md'));
    await app.worker.idle();

    expect(readFileSync(inReview, 'utf8')).toBe(original);
    expect(folderContents(root)).toMatchObject({ todo: [], review: ['task-8 - Same name.md'] });
    expect(readFileSync(path.join(root, 'backlog/failed/task-8 - Same name.md'), 'utf8')).toContain(
      'IMPOSTOR',
    );
    expect(report(root, 'task-8 - Same name').code).toBe('TASK_DUPLICATE_ID');
  });
});

describe('FolderSource moves never replace a file', () => {
  function source() {
    const root = tmpDir('tp-moves-');
    const folders = Object.fromEntries(
      ['todo', 'doing', 'review', 'failed', 'completed'].map((s) => [s, path.join(root, s)]),
    ) as Record<'todo' | 'doing' | 'review' | 'failed' | 'completed', string>;
    return { folders, src: new FolderSource({ folders, extractRegex: 'task-(\\d+)' }) };
  }
  const put = (dir: string, name: string, text: string) => {
    writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };
  const rep = (file: string) =>
    ({ taskId: '1', filename: file, code: 'X', error: 'e', attempts: [] }) as unknown as FailureReport;

  it('claim, toReview and toCompleted refuse an occupied target; toFailed picks a free name', async () => {
    const { folders, src } = source();
    await src.ensureFolders();
    const name = 'task-1 - A.md';
    put(folders.doing, name, 'in doing');
    const todo = put(folders.todo, name, 'in todo');
    await expect(src.claim(todo)).rejects.toMatchObject({ code: 'TASK_DUPLICATE_ID' });
    expect(readFileSync(path.join(folders.doing, name), 'utf8')).toBe('in doing');
    expect(readFileSync(todo, 'utf8')).toBe('in todo');

    put(folders.review, name, 'in review');
    const info = { branch: 'b', prUrl: 'u', prNumber: 1, model: 'm', summary: '' };
    await expect(src.toReview(path.join(folders.doing, name), info)).rejects.toMatchObject({
      code: 'TASK_DUPLICATE_ID',
    });
    expect(readFileSync(path.join(folders.review, name), 'utf8')).toBe('in review');

    put(folders.failed, name, 'in failed');
    const moved = await src.toFailed(todo, rep(name), 'log');
    expect(path.basename(moved)).not.toBe(name);
    expect(readFileSync(path.join(folders.failed, name), 'utf8')).toBe('in failed');
    expect(readFileSync(moved, 'utf8')).toBe('in todo');
    expect(readdirSync(folders.failed)).toContain(`${path.basename(moved, '.md')}.error.json`);

    put(folders.completed, name, 'in completed');
    renameSync(path.join(folders.doing, name), path.join(folders.doing, 'task-2 - B.md'));
    await expect(src.toCompleted('1')).rejects.toMatchObject({ code: 'TASK_DUPLICATE_ID' });
    expect(readFileSync(path.join(folders.review, name), 'utf8')).toBe('in review');
    expect(readFileSync(path.join(folders.completed, name), 'utf8')).toBe('in completed');
  });
});
