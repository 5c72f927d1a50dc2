import { describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/index.js';
import { folderContents, makeProject, writeTask } from '../../helpers/project.js';
import { waitFor } from '../../helpers/serve.js';

describe('watcher start-up', () => {
  it('picks up a task written after the start-up scan but before the watcher was ready', async () => {
    const { root } = await makeProject({
      agent: { type: 'command', command: 'echo done > done.txt' },
      ollama: { availableModels: [] },
    });
    const app = await createApp(loadConfig({ cwd: root, env: {} }));
    // The API answers while start-up runs: a file lands right after the scan of todo/, before
    // the folder watch starts (it reports only changes made after it starts), so no event will tell of it.
    const listPending = app.source.listPending.bind(app.source);
    let scans = 0;
    app.source.listPending = async () => {
      const files = await listPending();
      if (++scans === 1) writeTask(root, '7', { title: 'Arrived during start-up' });
      return files;
    };
    try {
      await app.worker.start({ watch: true });
      await waitFor(
        () => folderContents(root).review?.includes('task-7 - Arrived during start-up.md'),
        'the task written during start-up to reach review',
        20_000,
        () => folderContents(root),
      );
      expect(scans).toBeGreaterThanOrEqual(2);
    } finally {
      await app.close();
    }
  });
});
