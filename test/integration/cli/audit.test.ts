import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { BIN, gitOut, makeProject, runCli, writeTask } from '../../helpers/project.js';

const WRITE = 'echo "change $TP_TASK_ID" > "file-$TP_TASK_ID.txt"';

describe('ticket-processor audit (subprocess)', () => {
  it('verifies an intact chain, names an edited row, and exports JSON lines', async () => {
    const { root, remote } = await makeProject({ agent: { type: 'command', command: WRITE } });
    writeTask(root, '1', { title: 'Audited', model: 'ollama/qwen2.5-coder' });
    const s = await runCli(['start', '--once'], { cwd: root });
    expect(s.code).toBe(0);

    const ok = await runCli(['audit', 'verify'], { cwd: root });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const checked = /(\d+) rows checked/.exec(ok.stdout);
    expect(Number(checked?.[1])).toBeGreaterThan(4);
    expect(ok.stdout).toMatch(/head hash [0-9a-f]{64}/);

    const exp = await runCli(['audit', 'export', '--since', '1h'], { cwd: root });
    expect(exp.code).toBe(0);
    const rows = exp.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows).toHaveLength(Number(checked?.[1]));
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prevHash).toBe(rows[i - 1]!.hash);
    // The commit row says which model wrote which commit.
    const committed = rows.find((r) => r.event === 'task.committed');
    expect(committed).toMatchObject({
      taskId: '1',
      model: expect.stringContaining('qwen2.5-coder'),
      commitSha: gitOut(['rev-parse', 'task-1'], remote),
    });
    // A reader that stops early (head) ends the export quietly.
    const head = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" audit export | head -n 1`], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(head.stderr).toBe('');
    expect(JSON.parse(head.stdout).id).toBe(1);
    const future = await runCli(['audit', 'export', '--since', '2999-01-01', '--task', '1'], { cwd: root });
    expect(future.stdout.trim()).toBe('');
    const other = await runCli(['audit', 'export', '--since', '7d', '--task', '2'], { cwd: root });
    expect(other.stdout.trim()).toBe('');

    // An attacker with the file: drop the trigger, rewrite who published what.
    const target = rows.find((r) => r.event === 'task.published')!;
    const db = new Database(path.join(root, '.ticket-processor/state.db'));
    db.exec('DROP TRIGGER audit_no_update');
    db.prepare("UPDATE audit SET payload = replace(payload, 'task-1', 'task-9') WHERE id = ?").run(target.id);
    db.close();
    const bad = await runCli(['audit', 'verify'], { cwd: root });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`row ${target.id}`);
    expect(bad.stdout).toContain('task.published');
    expect(bad.stdout).toContain('task 1');
    expect(bad.stdout).toMatch(/content was edited/);
  }, 120_000);

  it('tells a removed row from an edited one', async () => {
    const { root } = await makeProject({ agent: { type: 'command', command: WRITE } });
    writeTask(root, '1', { title: 'Audited' });
    expect((await runCli(['start', '--once'], { cwd: root })).code).toBe(0);
    expect((await runCli(['pr', 'merge', '1'], { cwd: root })).code).toBe(0);
    const exp = await runCli(['audit', 'export', '--task', '1'], { cwd: root });
    const done = exp.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((r) => r.event === 'task.completed');
    expect(done).toMatchObject({ actor: `cli:${os.userInfo().username}`, pr: '#1' });
    const db = new Database(path.join(root, '.ticket-processor/state.db'));
    db.exec('DROP TRIGGER audit_no_delete');
    db.prepare('DELETE FROM audit WHERE id = 3').run();
    db.close();
    const bad = await runCli(['audit', 'verify'], { cwd: root });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('row 4');
    expect(bad.stdout).toMatch(/removed or inserted before it/);
  }, 60_000);
});
