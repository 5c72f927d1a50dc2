import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../src/store/index.js';
import { killProcessesUnder } from '../../../src/workspace/orphans.js';
import { BIN, folderContents, gitOut, makeProject, runCli, writeTask } from '../../helpers/project.js';

/** Starts `start --once` as a process group leader, like a service manager would. */
function startDetached(root: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, 'start', '--once'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: 'ignore',
    detached: true,
  });
  return child;
}

async function waitFor(file: string, timeoutMs = 150_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${file}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function hook(remote: string, name: string, mark: string): void {
  const file = path.join(remote, 'hooks', name);
  // Sleeps only the first time, so the restarted run goes through.
  writeFileSync(file, `#!/bin/sh\nif [ ! -f "${mark}" ]; then touch "${mark}"; sleep 60; fi\nexit 0\n`);
  chmodSync(file, 0o755);
}

const AGENT =
  'touch "$MARK/agent-$TP_TASK_ID"; if [ "$TP_TASK_ID" = "$SLEEP_IN_AGENT" ] && [ ! -f "$MARK/agent-slept" ]; then touch "$MARK/agent-slept"; sleep 60; fi; echo "work $TP_TASK_ID" > "f-$TP_TASK_ID.txt"';

describe('kill -9 at any point, then start again', () => {
  for (const point of ['agent', 'push-before-ref-update', 'push-after-ref-update'] as const) {
    it(`leaves every task in exactly one folder, one commit and one PR each (killed during ${point})`, async () => {
      const { root, remote } = await makeProject({
        agent: { type: 'command', command: AGENT, env: ['MARK', 'SLEEP_IN_AGENT'] },
        // The agent leaves marks outside its worktree so the test knows when to kill; a sandbox
        // would (rightly) stop that. Confinement is tested in test/security/.
        sandbox: { mode: 'none' },
      });
      const mark = path.join(root, 'marks');
      mkdirSync(mark);
      for (const id of ['1', '2', '3'])
        writeTask(root, id, { title: `Crash test ${id}`, priority: id === '2' ? 'high' : 'medium' });
      const env: Record<string, string> = { MARK: mark, SLEEP_IN_AGENT: point === 'agent' ? '2' : 'none' };
      let signal: string;
      if (point === 'agent') signal = path.join(mark, 'agent-slept');
      else if (point === 'push-before-ref-update') {
        signal = path.join(mark, 'pre-receive');
        hook(remote, 'pre-receive', signal);
      } else {
        signal = path.join(mark, 'post-receive');
        hook(remote, 'post-receive', signal);
      }
      const child = startDetached(root, env);
      await waitFor(signal);
      // Only the service's own process: its agent and git children live on, and the restart must deal with them.
      process.kill(child.pid!, 'SIGKILL');
      await new Promise((r) => child.once('exit', r));

      // After the ref update the high-priority task's branch is on the remote; the restart must reuse that commit.
      const pushedBefore =
        point === 'push-after-ref-update' ? gitOut(['rev-parse', 'task-2'], remote) : undefined;
      const during = folderContents(root);
      expect(Object.values(during).flat().sort()).toHaveLength(3);

      const again = await runCli(['start', '--once'], { cwd: root, env, timeoutMs: 120_000 });
      expect(again.stdout).toContain('after restart');
      expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
      const after = folderContents(root);
      expect(after.review).toEqual([
        'task-1 - Crash test 1.md',
        'task-2 - Crash test 2.md',
        'task-3 - Crash test 3.md',
      ]);
      expect(after.doing).toEqual([]);
      expect(after.todo).toEqual([]);
      for (const id of ['1', '2', '3']) {
        expect(gitOut(['rev-list', '--count', `main..task-${id}`], remote)).toBe('1');
      }
      // The restart stopped what the dead process left running in its worktrees.
      expect(await killProcessesUnder(path.join(root, 'repos', 'worktrees'))).toBe(0);
      if (pushedBefore) expect(gitOut(['rev-parse', 'task-2'], remote)).toBe(pushedBefore);
      const store = new SqliteStore(path.join(root, '.ticket-processor/state.db'));
      try {
        const prs = store.listPullRequests();
        expect(prs.map((p) => p.head).sort()).toEqual(['task-1', 'task-2', 'task-3']);
      } finally {
        store.close();
      }
      // No orphaned worktrees remain registered.
      const cacheDir = path.join(root, 'repos/cache', readdirSync(path.join(root, 'repos/cache'))[0]!);
      const cache = gitOut(['worktree', 'list', '--porcelain'], cacheDir);
      expect(cache).not.toContain('worktrees/task-');
    }, 240_000);
  }
});
