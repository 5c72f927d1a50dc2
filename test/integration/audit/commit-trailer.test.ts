import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { packageVersion } from '../../../src/stats/index.js';
import { type FakeOllama, type ResponderRequest, startFakeOllama } from '../../fixtures/fake-ollama/index.js';
import { openAppsClosedAfterEach } from '../../helpers/apps.js';
import { folderContents, gitOut, makeProject, writeTask } from '../../helpers/project.js';

const MODEL = 'good-coder:7b';

function responder(req: ResponderRequest) {
  if (req.messages.some((m) => m.role === 'tool'))
    return { toolCalls: [{ name: 'finish', arguments: { summary: 'Wrote the file.' } }] };
  return { toolCalls: [{ name: 'write_file', arguments: { path: 'fix.txt', content: 'fixed\n' } }] };
}

describe('Generated-by trailer through the real app (builtin agent, fake Ollama)', () => {
  const open = openAppsClosedAfterEach();
  let fake: FakeOllama | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it("names the version, the model and its digest from /api/tags; the audit chain records the commit's model", async () => {
    fake = await startFakeOllama({
      models: [{ name: MODEL, contextLength: 32768, capabilities: ['completion', 'tools'] }],
    });
    fake.setResponder(responder);
    const { root, remote } = await makeProject({
      agent: { type: 'builtin', allowCommands: [] },
      ollama: {
        host: fake.url,
        defaultModel: MODEL,
        availableModels: [MODEL],
        healthCheck: { enabled: false },
      },
      modelSelection: { strategy: 'fixed' },
    });
    writeTask(root, '1', { title: 'Fix it' });
    const app = await open(root);
    await app.worker.start({ watch: false });
    await app.worker.idle();
    expect(folderContents(root).review).toEqual(['task-1 - Fix it.md']);

    const sha = gitOut(['rev-parse', 'task-1'], remote);
    const digest = createHash('sha256').update(MODEL).digest('hex');
    expect(gitOut(['log', '-1', '--format=%(trailers:only,unfold)', sha], remote).split('\n')).toEqual([
      'Ticket-Processor-Task: 1',
      `Generated-by: ticket-processor ${packageVersion()}; model=${MODEL}@${digest}`,
    ]);
    const committed = app.store.listAudit({ taskId: '1' }).find((r) => r.name === 'task.committed');
    expect(committed).toMatchObject({ model: MODEL, commitSha: sha, host: fake.url });
    const published = app.store.listAudit({ taskId: '1' }).find((r) => r.name === 'task.published');
    expect(published).toMatchObject({ commitSha: sha, pr: expect.any(String) });
    expect(app.store.verifyAudit().ok).toBe(true);
  });
});
