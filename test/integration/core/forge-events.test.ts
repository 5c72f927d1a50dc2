import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/index.js';
import { handleForgeEvent } from '../../../src/pipeline/forge-events.js';
import { folderContents, gitOut, makeProject, writeTask } from '../../helpers/project.js';

const AGENT =
  'if [ -n "$TP_FOLLOW_UP" ]; then echo "$TP_FOLLOW_UP" | grep -q "make it 2" && echo 2 > value.txt; else echo 1 > value.txt; fi';

async function setup() {
  const { root, remote } = await makeProject({
    agent: { type: 'command', command: AGENT },
    ollama: { availableModels: [] },
  });
  writeTask(root, '1', { title: 'Value' });
  writeTask(root, '2', { title: 'Other' });
  const app = await createApp(loadConfig({ cwd: root, env: {} }));
  await app.worker.start({ watch: false });
  await app.worker.idle();
  const deps = { ...app, mention: '@ticket-processor', startFollowUp: app.startFollowUp };
  return { root, remote, app, deps };
}

describe('forge events for task PRs', () => {
  it('runs a follow-up on the PR branch for a comment that mentions the bot, and replies', async () => {
    const { remote, app, deps } = await setup();
    try {
      const pr = app.store.listPullRequests().find((p) => p.head === 'task-1')!;
      const ignored = await handleForgeEvent(
        deps,
        {
          kind: 'pr.comment',
          prNumber: pr.number,
          title: pr.title,
          branch: 'task-1',
          body: 'looks good',
          author: 'amy',
        },
        '1',
      );
      expect(ignored.status).toBe('ignored');
      const res = await handleForgeEvent(
        deps,
        {
          kind: 'pr.comment',
          prNumber: pr.number,
          title: pr.title,
          branch: 'task-1',
          body: '@ticket-processor please make it 2',
          author: 'amy',
        },
        '1',
      );
      expect(res).toEqual({ status: 'accepted', message: 'follow-up run started' });
      await app.followUpsIdle();
      expect(gitOut(['show', 'task-1:value.txt'], remote)).toBe('2');
      expect(gitOut(['rev-list', '--count', 'main..task-1'], remote)).toBe('2');
      const comments = app.store.listComments(pr.number);
      expect(comments).toHaveLength(1);
      expect(comments[0]).toMatch(/^ticket-processor: pushed [0-9a-f]{10} to `task-1`/);
    } finally {
      await app.close();
    }
  });

  it('completes on merge and sends a closed PR back to failed/ as rejected, retryable', async () => {
    const { root, app, deps } = await setup();
    try {
      const pr1 = app.store.listPullRequests().find((p) => p.head === 'task-1')!;
      const pr2 = app.store.listPullRequests().find((p) => p.head === 'task-2')!;
      expect(
        await handleForgeEvent(
          deps,
          { kind: 'pr.merged', prNumber: pr1.number, title: pr1.title, branch: 'task-1' },
          '1',
        ),
      ).toEqual({
        status: 'accepted',
      });
      const closed = await handleForgeEvent(
        deps,
        {
          kind: 'pr.closed',
          prNumber: pr2.number,
          title: pr2.title,
          branch: 'task-2',
          comment: 'wrong approach',
        },
        '2',
      );
      expect(closed.status).toBe('accepted');
      expect(folderContents(root)).toMatchObject({
        completed: ['task-1 - Value.md'],
        failed: ['task-2 - Other.md'],
        review: [],
      });
      const report = JSON.parse(
        readFileSync(path.join(root, 'backlog/failed/task-2 - Other.error.json'), 'utf8'),
      );
      expect(report).toMatchObject({ errorType: 'rejected', code: 'REJECTED', retryable: true });
      expect(report.error).toContain('wrong approach');
      // A replay of the merge is harmless: nothing in review any more.
      const again = await handleForgeEvent(
        deps,
        { kind: 'pr.merged', prNumber: pr1.number, title: pr1.title, branch: 'task-1' },
        '1',
      );
      expect(again.status).toBe('ignored');
    } finally {
      await app.close();
    }
  });
});
