import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { gitOut, makeProject, writeTask } from '../helpers/project.js';

/*
 * Issue 9, finding 3: a PR-comment follow-up must go through the same stages as a task run.
 * The old follow-up committed and pushed whatever the agent wrote: no verify, no secret scan.
 */

// Built at run time so that no scanner (ours or a forge's) flags this file itself.
const AWS_KEY = `AKIA${'Q7RZ'.repeat(4)}`;

// The task run writes value.txt = 1; a follow-up does what the reviewer's comment asks.
const AGENT = [
  'if [ -z "$TP_FOLLOW_UP" ]; then echo 1 > value.txt; exit 0; fi;',
  `if echo "$TP_FOLLOW_UP" | grep -q "add the key"; then echo "aws_access_key_id = ${AWS_KEY}" > creds.ini; fi;`,
  'if echo "$TP_FOLLOW_UP" | grep -q "make it 2"; then echo 2 > value.txt; cp "$TP_PROMPT_FILE" last-prompt.txt; fi',
].join(' ');

const CHECK = 'v=$(cat value.txt); echo "value is $v"; test "$v" = 1';

async function inReview(verify: string[]): Promise<{ app: App; remote: string; root: string }> {
  const { root, remote } = await makeProject({
    agent: { type: 'command', command: AGENT },
    verify: { commands: verify, maxRounds: 1 },
    // The PR must stay open for the follow-up (checks that pass would auto-merge it).
    webhook: { autoMergePR: false },
    ollama: { availableModels: [] },
  });
  writeTask(root, '1', { title: 'Value' });
  const app = await createApp(loadConfig({ cwd: root, env: {} }));
  await app.worker.start({ watch: false });
  await app.worker.idle();
  expect(app.store.getRun('1')?.state).toBe('review');
  return { app, remote, root };
}

describe('PR-comment follow-ups run the task stages', () => {
  it('pushes nothing when the agent adds an AWS key, and says the secret scan stopped it without the value', async () => {
    const { app, remote } = await inReview([]);
    try {
      const pr = app.store.listPullRequests()[0]!;
      const before = gitOut(['rev-parse', 'task-1'], remote);
      expect(await app.startFollowUp('1', pr.number, 'please add the key to creds.ini', 'amy')).toBe(true);
      await app.followUpsIdle();
      expect(gitOut(['rev-parse', 'task-1'], remote)).toBe(before);
      const comments = app.store.listComments(pr.number);
      expect(comments).toHaveLength(1);
      expect(comments[0]).toMatch(/secret scan/i);
      expect(comments[0]).toContain('creds.ini:1');
      expect(comments[0]).toMatch(/nothing was (committed or )?pushed/i);
      expect(comments[0]).not.toContain(AWS_KEY);
      expect(comments[0]).not.toContain(AWS_KEY.slice(4));
      // The task stays in review whatever a follow-up does.
      expect(app.store.getRun('1')?.state).toBe('review');
    } finally {
      await app.close();
    }
  });

  it('runs verify on a follow-up, feeds failures back to the agent, and reports the checks like a task run', async () => {
    const { app, remote, root } = await inReview([CHECK]);
    try {
      const pr = app.store.listPullRequests()[0]!;
      expect(pr.body).toContain('✅ `v=$(cat value.txt)');
      await app.startFollowUp('1', pr.number, 'please make it 2', 'amy');
      await app.followUpsIdle();
      const comments = app.store.listComments(pr.number);
      expect(comments).toHaveLength(1);
      const reply = comments[0]!;
      // The same check section a PR body carries: the failing command and the tail of its output.
      expect(reply).toContain('❌ `v=$(cat value.txt)');
      expect(reply).toContain('value is 2');
      expect(reply).toMatch(/^ticket-processor: pushed [0-9a-f]{10} to `task-1`/);
      expect(gitOut(['show', 'task-1:value.txt'], remote)).toBe('2');
      // The failing output went back to the agent, together with the reviewer's instructions.
      const prompt = gitOut(['show', 'task-1:last-prompt.txt'], remote);
      expect(prompt).toContain('value is 2');
      expect(prompt).toContain('please make it 2');
      expect(readFileSync(path.join(root, 'repos/prompts/task-1.md'), 'utf8')).toContain('value is 2');
    } finally {
      await app.close();
    }
  });
});
