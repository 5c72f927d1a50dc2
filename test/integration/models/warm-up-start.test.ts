import { afterEach, describe, expect, it } from 'vitest';
import { startCommand } from '../../../src/cli/start.js';
import { type FakeOllama, startFakeOllama } from '../../fixtures/fake-ollama/index.js';
import { folderContents, makeProject, writeTask } from '../../helpers/project.js';

const MODEL = 'qwen2.5-coder:7b';
let fake: FakeOllama | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function runOnce(warmUp: Record<string, unknown>) {
  fake = await startFakeOllama({ loadDelayMs: 100 });
  fake.enqueueReply('*', {
    toolCalls: [{ name: 'write_file', arguments: { path: 'a.txt', content: 'a\n' } }],
  });
  fake.enqueueReply('*', { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] });
  const { root } = await makeProject({
    agent: { type: 'builtin', allowCommands: [] },
    ollama: { host: fake.url, defaultModel: MODEL, healthCheck: { enabled: false } },
    performance: { warmUp },
  });
  writeTask(root, '1');
  const lines: string[] = [];
  const io = {
    out: (l: string) => lines.push(l),
    err: (l: string) => lines.push(l),
    env: {},
    cwd: root,
    isTty: false,
  };
  const code = await startCommand(io, { once: true });
  return {
    code,
    root,
    loads: fake.requestsTo('/api/generate').map((r) => r.body as Record<string, unknown>),
  };
}

describe('start warms the models up', () => {
  it('sends the load request for the queued task’s model while the task runs', async () => {
    const { code, root, loads } = await runOnce({ keepAlive: '20m' });
    expect(code).toBe(0);
    expect(folderContents(root).review).toHaveLength(1);
    expect(loads).toEqual([expect.objectContaining({ model: MODEL, prompt: '', keep_alive: '20m' })]);
  });

  it('sends none with performance.warmUp.enabled false', async () => {
    const { code, loads } = await runOnce({ enabled: false });
    expect(code).toBe(0);
    expect(loads).toEqual([]);
  });
});
