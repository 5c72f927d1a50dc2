import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/index.js';
import { completeTask } from '../../../src/pipeline/completion.js';
import { folderContents, gitOut, makeProject, tmpDir, writeTask } from '../../helpers/project.js';

const apps: App[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

async function open(root: string, env: Record<string, string> = {}): Promise<App> {
  const app = await createApp(loadConfig({ cwd: root, env }));
  apps.push(app);
  return app;
}

async function drain(app: App): Promise<void> {
  await app.worker.start({ watch: false });
  await app.worker.idle();
}

const WRITE = 'echo "change for $TP_TASK_ID with $TP_MODEL" > "file-$TP_TASK_ID.txt"';

describe('pipeline, original folder format', () => {
  it('turns tickets into a branch with one commit and a PR each, and moves them to review/', async () => {
    const { root, remote } = await makeProject({
      agent: { type: 'command', command: WRITE },
      processing: { concurrency: 2 },
    });
    writeTask(root, '1', { title: 'First thing', model: 'ollama/qwen2.5-coder' });
    writeTask(root, '2', { title: 'Second thing' });
    const app = await open(root, { GIT_USER_NAME: 'Robot Writer', GIT_USER_EMAIL: 'robot@example.test' });
    await drain(app);

    expect(folderContents(root)).toMatchObject({
      todo: [],
      doing: [],
      failed: [],
      review: ['task-1 - First thing.md', 'task-2 - Second thing.md'],
    });
    for (const id of ['1', '2']) {
      expect(gitOut(['rev-list', '--count', `main..task-${id}`], remote)).toBe('1');
      const msg = gitOut(['log', '-1', '--format=%an <%ae>%n%B', `task-${id}`], remote);
      expect(msg).toContain('Robot Writer <robot@example.test>');
      expect(msg).toMatch(new RegExp(`^feat\\(task-${id}\\): `, 'm'));
      expect(msg).toContain(`Ticket-Processor-Task: ${id}`);
      expect(gitOut(['show', `task-${id}:file-${id}.txt`], remote)).toContain(`change for ${id}`);
    }
    expect(gitOut(['show', 'task-1:file-1.txt'], remote)).toContain('with qwen2.5-coder');
    const prs = app.store.listPullRequests();
    expect(prs.map((p) => [p.head, p.title, p.state])).toEqual([
      expect.arrayContaining(['open']),
      expect.arrayContaining(['open']),
    ]);
    expect(prs.map((p) => p.title).sort()).toEqual(['[Task 1] First thing', '[Task 2] Second thing']);
    expect(prs.find((p) => p.head === 'task-1')?.body).toContain('It works');
    // The worktrees are gone, the branches stay.
    expect(existsSync(path.join(root, 'repos', 'worktrees', 'task-1'))).toBe(false);
  });

  it('fails a task whose agent changed nothing, with error.log and error.json', async () => {
    const { root } = await makeProject({ agent: { type: 'command', command: 'echo thinking hard; true' } });
    writeTask(root, '7', { title: 'Nothing happens' });
    const app = await open(root);
    await drain(app);
    expect(folderContents(root).failed).toEqual(['task-7 - Nothing happens.md']);
    const json = JSON.parse(
      readFileSync(path.join(root, 'backlog/failed/task-7 - Nothing happens.error.json'), 'utf8'),
    );
    expect(json).toMatchObject({
      taskId: '7',
      code: 'AGENT_NO_CHANGES',
      errorType: 'permanent',
      retryable: false,
      retryCount: 0,
    });
    expect(json.error).toMatch(/agent made no changes/i);
    expect(json.attempts.map((a: { model: string }) => a.model)).toEqual([
      'deepseek-coder',
      'codellama',
      'mistral',
      'llama2',
    ]);
    const log = readFileSync(path.join(root, 'backlog/failed/task-7 - Nothing happens.error.log'), 'utf8');
    expect(log).toContain('What to do:');
    expect(log).toContain('retry-failed --task-id 7');
  });

  it('fails a task whose agent exits non-zero, keeping the tail of its output and redacting secrets', async () => {
    const { root } = await makeProject({
      agent: {
        type: 'command',
        command: 'echo "using token $GITEA_TOKEN"; echo "boom: model exploded" >&2; exit 3',
      },
    });
    writeTask(root, '8', { title: 'Explodes' });
    const app = await open(root, { GITEA_TOKEN: 'sekret-token-value-123' });
    // The agent's environment is the process environment; give the child the token too.
    process.env.GITEA_TOKEN = 'sekret-token-value-123';
    try {
      await drain(app);
    } finally {
      delete process.env.GITEA_TOKEN;
    }
    const log = readFileSync(path.join(root, 'backlog/failed/task-8 - Explodes.error.log'), 'utf8');
    expect(log).toContain('boom: model exploded');
    expect(log).not.toContain('sekret-token-value-123');
    const json = readFileSync(path.join(root, 'backlog/failed/task-8 - Explodes.error.json'), 'utf8');
    expect(json).toContain('AGENT_FAILED');
    expect(json).not.toContain('sekret-token-value-123');
  });

  it('sends malformed task files to failed/ with the line of the problem, and keeps going', async () => {
    const { root } = await makeProject({ agent: { type: 'command', command: WRITE } });
    writeFileSync(
      path.join(root, 'backlog/todo/task-20 - Bad yaml.md'),
      '---\ntitle: ok\npriority: [unclosed\n---\nbody\n',
    );
    writeFileSync(path.join(root, 'backlog/todo/task-21 - No title.md'), '---\npriority: high\n---\nbody\n');
    writeTask(root, '22', { title: 'Odd priority', priority: 'urgent' });
    writeTask(root, '23', { title: 'Fine one' });
    const app = await open(root);
    await drain(app);
    const f = folderContents(root);
    expect(f.failed).toEqual(['task-20 - Bad yaml.md', 'task-21 - No title.md', 'task-22 - Odd priority.md']);
    expect(f.review).toEqual(['task-23 - Fine one.md']);
    const bad = JSON.parse(
      readFileSync(path.join(root, 'backlog/failed/task-20 - Bad yaml.error.json'), 'utf8'),
    );
    expect(bad).toMatchObject({ code: 'TASK_INVALID', errorType: 'invalid', retryable: false });
    expect(bad.line).toBeGreaterThanOrEqual(3);
    const prio = readFileSync(path.join(root, 'backlog/failed/task-22 - Odd priority.error.log'), 'utf8');
    expect(prio).toMatch(/priority/i);
    expect(prio).toMatch(/line 4/);
  });

  it('runs high priority first and holds a dependent task until its dependency is merged', async () => {
    const { root, remote } = await makeProject({
      agent: {
        type: 'command',
        command: 'echo "$TP_TASK_ID" >> order.txt; cp order.txt "seen-$TP_TASK_ID.txt"',
      },
    });
    writeTask(root, '1', { title: 'Low one', priority: 'low' });
    writeTask(root, '2', { title: 'High one', priority: 'high' });
    writeTask(root, '3', { title: 'Needs two', priority: 'high', dependencies: ['task-2'] });
    const app = await open(root);
    const claimed: string[] = [];
    app.events.on('task.claimed', (e) => claimed.push(e.taskId));
    await drain(app);
    expect(claimed).toEqual(['2', '1']);
    expect(folderContents(root).todo).toEqual(['task-3 - Needs two.md']);

    const pr = app.store.listPullRequests().find((p) => p.head === 'task-2')!;
    await app.forge.merge(pr.number);
    await completeTask({ ...app }, '2', { prNumber: pr.number, via: 'cli' });
    await app.worker.idle();
    expect(claimed).toEqual(['2', '1', '3']);
    expect(folderContents(root).completed).toEqual(['task-2 - High one.md']);
    expect(folderContents(root).review).toEqual(['task-1 - Low one.md', 'task-3 - Needs two.md']);
    // Task 3 started from main after the merge, so it sees task 2's work.
    expect(gitOut(['show', 'task-3:seen-3.txt'], remote)).toBe('2\n3'.trim());
    expect(gitOut(['show', 'main:seen-2.txt'], remote)).toBe('2');
  });

  it('starts with a config.json written for the original tool, one repository per task', async () => {
    const root = tmpDir();
    copyFileSync(path.resolve('test/fixtures/original/config.json'), path.join(root, 'config.json'));
    const cfg = JSON.parse(readFileSync(path.join(root, 'config.json'), 'utf8'));
    cfg.webhook.enabled = false;
    writeFileSync(path.join(root, 'config.json'), JSON.stringify(cfg));
    const loaded = loadConfig({ cwd: root, env: {} });
    expect(loaded.warnings).toEqual([]);
    const app = await createApp(loaded, {
      agent: {
        name: 'inline',
        run: async (input) => {
          writeFileSync(path.join(input.workdir, 'out.txt'), input.model);
          return { stopReason: 'done', summary: 'wrote out.txt', outputTail: '' };
        },
      },
    });
    apps.push(app);
    writeTask(root, '5', { title: 'Original style' });
    await drain(app);
    expect(folderContents(root).review).toEqual(['task-5 - Original style.md']);
    const repo = path.join(root, 'repos', 'task-5.git');
    expect(gitOut(['show', 'task-5:out.txt'], repo)).toBe('deepseek-coder');
  });
});
