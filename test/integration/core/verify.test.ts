import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/index.js';
import { folderContents, gitOut, makeProject, writeTask } from '../../helpers/project.js';

// First run writes a wrong value; a follow-up run (TP_FOLLOW_UP set, with the check's output) fixes it.
const AGENT =
  'if [ -n "$TP_FOLLOW_UP" ]; then echo 42 > value.txt; cp "$TP_PROMPT_FILE" followup-prompt.txt; else echo 41 > value.txt; fi';
const CHECK = 'v=$(cat value.txt); echo "value is $v"; test "$v" = 42';

describe('verify loop', () => {
  it('sends failing check output back to the agent, then publishes and auto-merges when checks pass', async () => {
    const { root, remote } = await makeProject({
      agent: { type: 'command', command: AGENT },
      verify: { commands: [CHECK], maxRounds: 2 },
      ollama: { availableModels: [] },
    });
    writeTask(root, '1', { title: 'Make it 42' });
    const app = await createApp(loadConfig({ cwd: root, env: {} }));
    try {
      await app.worker.start({ watch: false });
      await app.worker.idle();
      const pr = app.store.listPullRequests()[0]!;
      expect(pr.body).toContain('✅ `v=$(cat value.txt)');
      expect(gitOut(['show', 'task-1:value.txt'], remote)).toBe('42');
      expect(gitOut(['show', 'task-1:followup-prompt.txt'], remote)).toContain('value is 41');
      // Checks passed and webhook.autoMergePR is on: merged and completed.
      expect(pr.state).toBe('merged');
      expect(folderContents(root).completed).toEqual(['task-1 - Make it 42.md']);
      expect(gitOut(['show', 'main:value.txt'], remote)).toBe('42');
    } finally {
      await app.close();
    }
  });

  it('publishes with the failing checks in the PR body after the last round, and does not auto-merge', async () => {
    const { root } = await makeProject({
      agent: { type: 'command', command: 'echo 7 > value.txt' },
      verify: { commands: [CHECK], maxRounds: 1 },
      ollama: { availableModels: [] },
    });
    writeTask(root, '2', { title: 'Never right' });
    const app = await createApp(loadConfig({ cwd: root, env: {} }));
    try {
      await app.worker.start({ watch: false });
      await app.worker.idle();
      const pr = app.store.listPullRequests()[0]!;
      expect(pr.state).toBe('open');
      expect(pr.body).toContain('❌ `v=$(cat value.txt)');
      expect(pr.body).toContain('value is 7');
      expect(folderContents(root).review).toEqual(['task-2 - Never right.md']);
      const prompt = readFileSync(path.join(root, 'repos/prompts/task-2.md'), 'utf8');
      expect(prompt).toContain('FOLLOWUP');
    } finally {
      await app.close();
    }
  });
});

describe('secret scan before commit', () => {
  it('fails the task and pushes nothing when the change adds a token', async () => {
    const token = `ghp_${'Z9'.repeat(18)}`;
    const { root, remote } = await makeProject({
      agent: { type: 'command', command: `echo 'const t = "${token}";' > leak.js` },
      ollama: { availableModels: [] },
    });
    writeTask(root, '3', { title: 'Leaky' });
    const app = await createApp(loadConfig({ cwd: root, env: {} }));
    try {
      await app.worker.start({ watch: false });
      await app.worker.idle();
      expect(folderContents(root).failed).toEqual(['task-3 - Leaky.md']);
      const report = readFileSync(path.join(root, 'backlog/failed/task-3 - Leaky.error.json'), 'utf8');
      expect(JSON.parse(report)).toMatchObject({ code: 'SECRET_DETECTED', retryable: false });
      expect(report).toContain('leak.js:1 (GitHub token)');
      expect(report).not.toContain(token);
      expect(() => gitOut(['rev-parse', '--verify', 'task-3'], remote)).toThrow();
    } finally {
      await app.close();
    }
  });
});
