import { afterEach, describe, expect, it } from 'vitest';
import type { TpEvents } from '../../../src/events/types.js';
import { type FakeOllama, startFakeOllama } from '../../fixtures/fake-ollama/index.js';
import { openAppsClosedAfterEach } from '../../helpers/apps.js';
import { makeProject, writeTask } from '../../helpers/project.js';

const QWEN = 'qwen2.5-coder:7b';
const LLAMA = 'llama3.1:8b';

let fake: FakeOllama | undefined;
const open = openAppsClosedAfterEach();
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** The built-in agent's two turns: write a file, then finish. */
function scriptAgentRun(f: FakeOllama, id: string): void {
  f.enqueueReply('*', {
    toolCalls: [{ name: 'write_file', arguments: { path: `t-${id}.txt`, content: 'hi\n' } }],
  });
  f.enqueueReply('*', { toolCalls: [{ name: 'finish', arguments: { summary: 'wrote it' } }] });
}

async function project(f: FakeOllama, performance: Record<string, unknown> = {}) {
  const { root } = await makeProject({
    agent: { type: 'builtin', allowCommands: [] },
    ollama: { host: f.url, defaultModel: QWEN, healthCheck: { enabled: false } },
    performance,
  });
  return root;
}

const ps = async (f: FakeOllama) =>
  ((await (await fetch(`${f.url}/api/ps`)).json()) as { models: Array<{ name: string }> }).models
    .map((m) => m.name)
    .sort();

describe('warm-up in the app', () => {
  it('preloads the queued tasks’ models beside intake, with performance.warmUp.keepAlive', async () => {
    fake = await startFakeOllama({
      models: [
        { name: QWEN, capabilities: ['completion', 'tools'] },
        { name: LLAMA, capabilities: ['completion', 'tools'] },
      ],
      loadDelayMs: 300,
    });
    const root = await project(fake, { warmUp: { keepAlive: '45m', maxModels: 2 } });
    writeTask(root, '1', { priority: 'high', model: LLAMA });
    writeTask(root, '2', { priority: 'low' });
    const app = await open(root);
    const warmed: TpEvents['model.warmed'][] = [];
    app.events.on('model.warmed', (e) => warmed.push(e));
    scriptAgentRun(fake, '1');
    scriptAgentRun(fake, '2');
    const published = Promise.all(
      ['1', '2'].map((id) => app.events.waitFor('task.published', (e) => e.taskId === id)),
    );
    app.warmUp?.trigger();
    await app.worker.start({ watch: false });
    await published;
    await app.warmUp?.idle();
    expect(warmed.map((e) => [e.model, e.ok]).sort()).toEqual([
      [LLAMA, true],
      [QWEN, true],
    ]);
    const loads = fake.requestsTo('/api/generate').map((r) => r.body as Record<string, unknown>);
    expect(loads).toEqual([
      expect.objectContaining({ model: LLAMA, prompt: '', keep_alive: '45m' }),
      expect.objectContaining({ model: QWEN, prompt: '', keep_alive: '45m' }),
    ]);
    expect(await ps(fake)).toEqual([LLAMA, QWEN]);
  });

  it('sends nothing when performance.warmUp.enabled is false', async () => {
    fake = await startFakeOllama({ loadDelayMs: 10 });
    const root = await project(fake, { warmUp: { enabled: false } });
    const app = await open(root);
    app.warmUp?.trigger();
    await app.warmUp?.idle();
    expect(fake.requestsTo('/api/generate')).toEqual([]);
    expect(await ps(fake)).toEqual([]);
  });

  it('with an empty queue, warms ollama.defaultModel', async () => {
    fake = await startFakeOllama({ loadDelayMs: 10 });
    const app = await open(await project(fake));
    app.warmUp?.trigger();
    await app.warmUp?.idle();
    expect(await ps(fake)).toEqual([QWEN]);
  });
});
