import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderContents, gitOut, makeProject, runCli, tmpDir, writeTask } from '../../helpers/project.js';

const WRITE = 'echo "change $TP_TASK_ID" > "file-$TP_TASK_ID.txt"';

describe('ticket-processor CLI (subprocess)', () => {
  it('prints --version and --help for every command', async () => {
    const cwd = tmpDir();
    const v = await runCli(['--version'], { cwd });
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await runCli(['--help'], { cwd });
    for (const cmd of [
      'init',
      'start',
      'create-task',
      'bulk-create',
      'status',
      'retry-failed',
      'pr',
      'demo',
    ]) {
      expect(help.stdout).toContain(cmd);
    }
    const sub = await runCli(['retry-failed', '--help'], { cwd });
    expect(sub.stdout).toContain('--max-age-days');
    expect(sub.stdout).toContain('--dry-run');
  });

  it('init writes a complete config, the folders and .env.example', async () => {
    const cwd = tmpDir();
    const r = await runCli(['init', 'proj'], { cwd });
    expect(r.code).toBe(0);
    const cfg = JSON.parse(readFileSync(path.join(cwd, 'proj/config.json'), 'utf8'));
    expect(cfg.git.prTitle).toBe('[Task {id}] {title}');
    expect(cfg.ollama.healthCheck.failureThreshold).toBe(3);
    for (const f of ['todo', 'doing', 'review', 'failed', 'completed'])
      expect(existsSync(path.join(cwd, 'proj/backlog', f))).toBe(true);
    expect(readFileSync(path.join(cwd, 'proj/.env.example'), 'utf8')).toContain('GITEA_WEBHOOK_SECRET');
  });

  it('stops at start with the key path when the config is invalid', async () => {
    const cwd = tmpDir();
    writeFileSync(
      path.join(cwd, 'config.json'),
      JSON.stringify({ processing: { concurrency: 'two' }, webhok: {} }),
    );
    const r = await runCli(['start', '--once'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('processing.concurrency');
    expect(r.stderr).toContain('unknown key "webhok"');
    const broken = tmpDir();
    writeFileSync(path.join(broken, 'config.json'), '{ "git": { "pushRetries": 3, } }');
    const b = await runCli(['status'], { cwd: broken });
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/config\.json:1 is not valid JSON/);
  });

  it('creates tasks from flags and from a bulk JSON file, numbering them', async () => {
    const { root } = await makeProject();
    const a = await runCli(
      ['create-task', '-t', 'Add login', '-p', 'high', '--ac', 'one', '--ac', 'two', '-l', 'x,y'],
      { cwd: root },
    );
    expect(a.code).toBe(0);
    const d = await runCli(['create-task', '-t', 'Later', '--draft'], { cwd: root });
    expect(d.code).toBe(0);
    writeFileSync(
      path.join(root, 'tasks.json'),
      JSON.stringify([
        { title: 'Bulk one', priority: 'low', acceptanceCriteria: ['a'], autoProcess: true },
        { title: 'Bulk two', autoProcess: false },
      ]),
    );
    const b = await runCli(['bulk-create', 'tasks.json'], { cwd: root });
    expect(b.code).toBe(0);
    expect(folderContents(root).todo).toEqual(['task-1 - Add login.md', 'task-3 - Bulk one.md']);
    expect(
      readdirSync(path.join(root, 'backlog'))
        .filter((n) => n.endsWith('.md'))
        .sort(),
    ).toEqual(['task-2 - Later.md', 'task-4 - Bulk two.md']);
    const text = readFileSync(path.join(root, 'backlog/todo/task-1 - Add login.md'), 'utf8');
    expect(text).toMatch(/priority: high/);
    expect(text).toContain('- two');
    writeFileSync(path.join(root, 'bad.json'), JSON.stringify([{ title: 'ok' }, { priority: 'urgent' }]));
    const bad = await runCli(['bulk-create', 'bad.json'], { cwd: root });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/nothing was created/);
    expect(folderContents(root).todo).toHaveLength(2);
  });

  it('start --once, status, retry-failed --dry-run, then pr merge completes a task', async () => {
    const { root, remote } = await makeProject({
      agent: { type: 'command', command: `if [ "$TP_TASK_ID" = 2 ]; then exit 4; fi; ${WRITE}` },
    });
    writeTask(root, '1', { title: 'Works' });
    writeTask(root, '2', { title: 'Breaks' });
    const s = await runCli(['start', '--once'], { cwd: root });
    expect(s.code).toBe(1);
    expect(s.stdout).toContain('task 1: ✔ PR');
    expect(s.stdout).toContain('task 2: ✘ failed');
    const st = await runCli(['status'], { cwd: root });
    expect(st.stdout).toMatch(/review\s+1/);
    expect(st.stdout).toMatch(/failed\s+1/);

    const dry = await runCli(['retry-failed', '--dry-run'], { cwd: root });
    expect(dry.stdout).toMatch(/TASK\s+ERROR TYPE\s+CODE/);
    expect(dry.stdout).toMatch(/2\s+permanent\s+AGENT_FAILED\s+0\s+\S+\s+skip/);
    const one = await runCli(['retry-failed', '--task-id', '2'], { cwd: root });
    expect(one.stdout).toContain('Requeued 1 task(s).');
    expect(folderContents(root).todo).toEqual(['task-2 - Breaks.md']);
    expect(existsSync(path.join(root, 'backlog/failed/task-2 - Breaks.error.json'))).toBe(false);

    const list = await runCli(['pr', 'list'], { cwd: root });
    expect(list.stdout).toMatch(/1\s+open\s+task-1\s+main\s+\[Task 1\] Works/);
    const merge = await runCli(['pr', 'merge', '1'], { cwd: root });
    expect(merge.code).toBe(0);
    expect(folderContents(root).completed).toEqual(['task-1 - Works.md']);
    expect(gitOut(['show', 'main:file-1.txt'], remote)).toBe('change 1');
    // Six CLI processes in a row: ~7 s on an idle 2-core machine, several times that under load.
  }, 120_000);
});
