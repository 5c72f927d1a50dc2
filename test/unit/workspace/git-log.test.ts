import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject } from '../../helpers/project.js';
import { testWorkspace } from '../../helpers/workspace.js';

describe('Workspace git log', () => {
  it('names the subcommand first, also for calls inside a worktree (explicit --git-dir)', async () => {
    const { root, remote } = await makeProject();
    const lines: { args: string[]; cwd: string; ok: boolean }[] = [];
    const ws = testWorkspace(root, {
      log: (l) => lines.push(l),
    });
    const wt = await ws.prepare(remote, 'main', 'task-1');
    writeFileSync(path.join(wt.dir, 'x.txt'), 'x');
    await ws.diff(wt);
    await ws.commit(wt, 'msg', '1', { staged: true });
    await ws.cleanup(remote, wt);
    const first = lines.map((l) => l.args[0]);
    expect(first).toEqual(expect.arrayContaining(['clone', 'fetch', 'worktree', 'add', 'diff', '-c']));
    expect(first.some((a) => a?.startsWith('--git-dir'))).toBe(false);
    expect(lines.filter((l) => l.args[0] === 'diff').map((l) => l.cwd)).toEqual([wt.dir]);
    expect(lines.every((l) => l.ok)).toBe(true);
  });
});
