import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/events/index.js';
import { FolderSource } from '../../../src/intake/folder-source.js';
import {
  type ForgeEventDeps,
  handleForgeEvent,
  NOT_ALLOWED_REPLY,
} from '../../../src/pipeline/forge-events.js';
import { SqliteStore } from '../../../src/store/index.js';
import { tmpDir } from '../../helpers/project.js';

/** A per-task layout: two task repositories whose first PR is #1 each. */
function setup() {
  // The comment path never touches the task folders: they need not exist.
  const root = tmpDir();
  const folders = { todo: '', doing: '', review: '', failed: '', completed: '' };
  for (const k of Object.keys(folders) as Array<keyof typeof folders>) folders[k] = path.join(root, k);
  const store = new SqliteStore(':memory:');
  for (const id of ['7', '8'])
    store.upsertRun({
      taskId: id,
      state: 'review',
      prNumber: 1,
      prUrl: `http://gitea/acme/task-${id}/pulls/1`,
    });
  const comments: Array<{ prNumber: number; body: string; repository: string | undefined }> = [];
  const deps: ForgeEventDeps = {
    source: new FolderSource({ folders, extractRegex: 'task-(\\d+)' }),
    store,
    events: new EventBus(),
    secrets: [],
    mention: '@ticket-processor',
    forge: {
      isOwnRepository: (name) => /^acme\/task-\d+$/.test(name),
      commenterCanTrigger: async () => false,
      comment: async (prNumber, body, repository) => {
        comments.push({ prNumber, body, repository });
      },
    },
    startFollowUp: async () => true,
  };
  return { deps, comments };
}

describe('handleForgeEvent: replies go to the repository the event came from', () => {
  it('answers a commenter without rights on the PR of the event’s repository, once', async () => {
    const { deps, comments } = setup();
    const event = {
      kind: 'pr.comment' as const,
      prNumber: 1,
      title: '[Task 8] x',
      branch: 'task-8',
      body: '@ticket-processor rewrite it',
      author: 'mallory',
      repository: 'acme/task-8',
    };
    expect(await handleForgeEvent(deps, event, '8')).toEqual({
      status: 'ignored',
      message: 'commenter may not start follow-up runs',
    });
    await handleForgeEvent(deps, event, '8');
    expect(comments).toEqual([{ prNumber: 1, body: NOT_ALLOWED_REPLY, repository: 'acme/task-8' }]);
  });
});
