import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeNewTask } from '../../src/cli/task-files.js';
import { FolderSource } from '../../src/intake/folder-source.js';
import { openAppsClosedAfterEach } from '../helpers/apps.js';
import { folderContents, gitOut, makeProject, runCli, tmpDir, writeTask } from '../helpers/project.js';

// Finding 10 (second bullet): a FIFO in todo/ hung start-up, four of them used up libuv's
// thread pool; symlinks were followed out of the task folders; task files had no size cap.

const open = openAppsClosedAfterEach();

const WRITE = 'echo "done $TP_TASK_ID" > "file-$TP_TASK_ID.txt"';

const validTask = (title: string, description = 'Do it') =>
  [
    '---',
    `title: ${title}`,
    'priority: high',
    `description: ${description}`,
    '---',
    '',
    `# ${title}`,
    '',
  ].join('\n');

function errorReport(dir: string, stem: string): { error: string; code: string } {
  return JSON.parse(readFileSync(path.join(dir, `${stem}.error.json`), 'utf8'));
}

describe('only regular task files are read', () => {
  it('four FIFOs in todo/ do not hang `start --once`; the normal task is processed', async () => {
    const { root, remote } = await makeProject({ agent: { type: 'command', command: WRITE } });
    for (let i = 1; i <= 4; i++)
      execFileSync('mkfifo', [path.join(root, `backlog/todo/task-${i} - Fifo ${i}.md`)]);
    writeTask(root, '5', { title: 'Normal task' });

    const res = await runCli(['start', '--once'], { cwd: root, timeoutMs: 60_000 });

    expect(res.signal).toBeNull();
    const folders = folderContents(root);
    expect(folders.review).toEqual(['task-5 - Normal task.md']);
    expect(folders.todo).toEqual([]);
    expect(gitOut(['show', 'task-5:file-5.txt'], remote)).toBe('done 5');
    // The FIFOs went to failed/ unopened, each with the reason.
    expect(folders.failed).toHaveLength(4);
    for (let i = 1; i <= 4; i++) {
      const fifo = path.join(root, `backlog/failed/task-${i} - Fifo ${i}.md`);
      expect(lstatSync(fifo).isFIFO()).toBe(true);
      expect(errorReport(path.join(root, 'backlog/failed'), `task-${i} - Fifo ${i}`).error).toMatch(
        /not a regular file.*FIFO/i,
      );
    }
  }, 90_000);

  it('never reads through a symlink: one to /etc/passwd and one to a valid task outside the folders', async () => {
    const { root, remote } = await makeProject({ agent: { type: 'command', command: WRITE } });
    const outside = path.join(tmpDir('tp-outside-'), 'secret-task.md');
    writeFileSync(outside, validTask('Outside task', 'OUTSIDE-CONTENT-MARKER'));
    symlinkSync(outside, path.join(root, 'backlog/todo/task-7 - Outside.md'));
    symlinkSync('/etc/passwd', path.join(root, 'backlog/todo/task-8 - Passwd.md'));
    const app = await open(root);
    await app.worker.start({ watch: false });
    await app.worker.idle();

    const failed = path.join(root, 'backlog/failed');
    expect(folderContents(root)).toMatchObject({
      todo: [],
      review: [],
      failed: ['task-7 - Outside.md', 'task-8 - Passwd.md'],
    });
    for (const stem of ['task-7 - Outside', 'task-8 - Passwd']) {
      expect(lstatSync(path.join(failed, `${stem}.md`)).isSymbolicLink()).toBe(true);
      const report = errorReport(failed, stem);
      expect(report.code).toBe('TASK_INVALID');
      expect(report.error).toMatch(/symbolic link/i);
      const log = readFileSync(path.join(failed, `${stem}.error.log`), 'utf8');
      expect(log).not.toContain('root:');
      expect(log).not.toContain('OUTSIDE-CONTENT-MARKER');
    }
    expect(() => gitOut(['rev-parse', '--verify', 'task-7'], remote)).toThrow();
    expect(readFileSync(outside, 'utf8')).toBe(validTask('Outside task', 'OUTSIDE-CONTENT-MARKER'));
  });

  it('fails a 2 MiB task file with the size reason (processing.maxTaskFileBytes, default 1 MiB)', async () => {
    const { root } = await makeProject({ agent: { type: 'command', command: WRITE } });
    writeFileSync(
      path.join(root, 'backlog/todo/task-9 - Huge.md'),
      validTask('Huge', 'x'.repeat(2 * 1024 * 1024)),
    );
    writeTask(root, '10', { title: 'Small' });
    const app = await open(root);
    await app.worker.start({ watch: false });
    await app.worker.idle();

    expect(folderContents(root)).toMatchObject({
      failed: ['task-9 - Huge.md'],
      review: ['task-10 - Small.md'],
    });
    const report = errorReport(path.join(root, 'backlog/failed'), 'task-9 - Huge');
    expect(report.error).toMatch(/2097\d{3} bytes.*maxTaskFileBytes.*1048576/);
  });

  it('while watching, a FIFO and a symlink dropped into todo/ are refused unread and the next task still runs', async () => {
    const { root } = await makeProject({ agent: { type: 'command', command: WRITE } });
    const app = await open(root);
    await app.worker.start({ watch: true });
    execFileSync('mkfifo', [path.join(root, 'backlog/todo/task-11 - Late fifo.md')]);
    symlinkSync('/etc/passwd', path.join(root, 'backlog/todo/task-12 - Late link.md'));
    const deadline = Date.now() + 20_000;
    while ((folderContents(root).failed ?? []).length < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    writeTask(root, '13', { title: 'After them' });
    while ((folderContents(root).review ?? []).length < 1 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(folderContents(root)).toMatchObject({
      todo: [],
      failed: ['task-11 - Late fifo.md', 'task-12 - Late link.md'],
      review: ['task-13 - After them.md'],
    });
  }, 40_000);

  it('writeNewTask (API, create-task) refuses a task larger than the cap before reserving an id', async () => {
    const { root } = await makeProject();
    const app = await open(root);
    await expect(
      writeNewTask(app, { title: 'Too big', description: 'x'.repeat(1_100_000) }, true),
    ).rejects.toMatchObject({ code: 'TASK_INVALID', message: expect.stringMatching(/maxTaskFileBytes/) });
    expect(folderContents(root).todo).toEqual([]);
    expect((await writeNewTask(app, { title: 'Fine' }, true)).id).toBe('1');
  });

  it('FolderSource honours its own size cap and refuses a file that grew past it', async () => {
    const root = tmpDir('tp-cap-');
    const folders = Object.fromEntries(
      ['todo', 'doing', 'review', 'failed', 'completed'].map((s) => [s, path.join(root, s)]),
    ) as Record<'todo' | 'doing' | 'review' | 'failed' | 'completed', string>;
    const source = new FolderSource({ folders, extractRegex: 'task-(\\d+)', maxFileBytes: 200 });
    await source.ensureFolders();
    writeFileSync(path.join(folders.todo, 'task-1 - Small.md'), validTask('Small'));
    writeFileSync(path.join(folders.todo, 'task-2 - Big.md'), validTask('Big', 'y'.repeat(300)));
    mkdirSync(path.join(folders.todo, 'task-3 - Dir.md'));

    expect(await source.read(path.join(folders.todo, 'task-1 - Small.md'))).toMatchObject({ ok: true });
    const big = await source.read(path.join(folders.todo, 'task-2 - Big.md'));
    expect(big).toMatchObject({ ok: false, refused: expect.stringMatching(/larger than .*200/) });
    const dir = await source.read(path.join(folders.todo, 'task-3 - Dir.md'));
    expect(dir).toMatchObject({ ok: false, refused: expect.stringMatching(/directory/) });
  });
});

describe('Backlog.md mode applies the same rules', () => {
  it('refuses a FIFO, a symlink and an oversized file in backlog/tasks without reading or editing them', async () => {
    const repo = tmpDir('tp-backlog-intake-');
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo });
    execFileSync(
      'git',
      ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '--allow-empty', '-m', 'init'],
      {
        cwd: repo,
      },
    );
    const tasks = path.join(repo, 'backlog/tasks');
    mkdirSync(tasks, { recursive: true });
    writeFileSync(
      path.join(repo, 'backlog/config.yml'),
      'project_name: "demo"\ndefault_status: "To Do"\nstatuses: ["To Do", "In Progress", "Done"]\n',
    );
    const backlogTask = (id: number, title: string, extra = '') =>
      `---\nid: task-${id}\ntitle: ${title}\nstatus: To Do\n---\n\n## Description\n\n${title}${extra}\n`;
    writeFileSync(path.join(tasks, 'task-1 - Good.md'), backlogTask(1, 'Good'));
    execFileSync('mkfifo', [path.join(tasks, 'task-2 - Fifo.md')]);
    const outside = path.join(tmpDir('tp-outside-'), 'task.md');
    writeFileSync(outside, backlogTask(3, 'Outside'));
    symlinkSync(outside, path.join(tasks, 'task-3 - Link.md'));
    writeFileSync(path.join(tasks, 'task-4 - Huge.md'), backlogTask(4, 'Huge', 'z'.repeat(1_100_000)));
    writeFileSync(
      path.join(repo, 'config.json'),
      JSON.stringify({
        webhook: { enabled: false },
        agent: { type: 'command', command: WRITE },
        ollama: { availableModels: [] },
        folders: { repos: `../repos-${path.basename(repo)}` },
      }),
    );
    const app = await open(repo);
    expect(app.source.format).toBe('backlog');
    await app.worker.start({ watch: false });
    await app.worker.idle();

    expect(gitOut(['show', 'task-1:file-1.txt'], repo)).toBe('done 1');
    expect(() => gitOut(['rev-parse', '--verify', 'task-3'], repo)).toThrow();
    expect(lstatSync(path.join(tasks, 'task-2 - Fifo.md')).isFIFO()).toBe(true);
    expect(lstatSync(path.join(tasks, 'task-3 - Link.md')).isSymbolicLink()).toBe(true);
    expect(readFileSync(outside, 'utf8')).toBe(backlogTask(3, 'Outside'));
    expect(readFileSync(path.join(tasks, 'task-4 - Huge.md'), 'utf8')).toBe(
      backlogTask(4, 'Huge', 'z'.repeat(1_100_000)),
    );
    const failedDir = path.join(repo, 'backlog/failed');
    expect(errorReport(failedDir, 'task-2 - Fifo').error).toMatch(/FIFO/);
    expect(errorReport(failedDir, 'task-3 - Link').error).toMatch(/symbolic link/);
    expect(errorReport(failedDir, 'task-4 - Huge').error).toMatch(/maxTaskFileBytes/);
    expect(await app.source.counts()).toMatchObject({ failed: 3, todo: 0 });
  });
});
