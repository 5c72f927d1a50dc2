import { afterEach, describe, expect, it } from 'vitest';
import type { TpEvents } from '../../../src/events/index.js';
import { applyRetries, planRetries } from '../../../src/pipeline/recovery.js';
import { type FakeOllama, type ResponderRequest, startFakeOllama } from '../../fixtures/fake-ollama/index.js';
import { openAppsClosedAfterEach } from '../../helpers/apps.js';
import { folderContents, makeProject, writeTask } from '../../helpers/project.js';

const SMALL = 'small-coder:1b';
const MEDIUM = 'medium-coder:7b';
const LARGE = 'large-coder:33b';

// An AWS-key-shaped string: the secret scan fails any change that contains it.
const FAKE_KEY = ['AKIA', 'Z7Q2X4C6V8B1N3M5'].join('');

/**
 * Every model writes `<its size>.txt`; the small model's file holds a key-shaped string (the
 * secret scan fails the run after the agent produced the change).
 */
function responder(req: ResponderRequest) {
  if (req.messages.some((m) => m.role === 'tool'))
    return { toolCalls: [{ name: 'finish', arguments: { summary: 'Done.' } }] };
  const size = req.model.split('-')[0];
  const content = size === 'small' ? `key = ${FAKE_KEY}\n` : 'x\n';
  return { toolCalls: [{ name: 'write_file', arguments: { path: `${size}.txt`, content } }] };
}

async function startModels(): Promise<FakeOllama> {
  const fake = await startFakeOllama({
    models: [SMALL, MEDIUM, LARGE].map((name) => ({
      name,
      contextLength: 32768,
      capabilities: ['completion', 'tools'],
    })),
  });
  fake.setResponder(responder);
  return fake;
}

function project(fake: FakeOllama, extra: Record<string, unknown> = {}) {
  return makeProject({
    agent: { type: 'builtin', allowCommands: [] },
    ollama: {
      host: fake.url,
      defaultModel: MEDIUM,
      fallbackModels: [],
      availableModels: [SMALL, MEDIUM, LARGE],
      healthCheck: { enabled: false },
    },
    modelSelection: {
      strategy: 'complexity',
      tiers: { small: [SMALL], medium: [MEDIUM], large: [LARGE] },
    },
    ...extra,
  });
}

describe('escalation across runs (complexity strategy, real app)', () => {
  const open = openAppsClosedAfterEach();
  let fake: FakeOllama | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('a retried task starts one tier above the model whose change failed a later stage', async () => {
    fake = await startModels();
    const { root } = await project(fake);
    writeTask(root, '1', { title: 'Fix a typo', description: 'Fix a typo.', extra: 'labels: [typo]' });

    const first = await open(root);
    const selected: TpEvents['model.selected'][] = [];
    first.events.on('model.selected', (e) => selected.push(e));
    await first.worker.start({ watch: false });
    await first.worker.idle();
    expect(folderContents(root).failed).toEqual(['task-1 - Fix a typo.md']);
    expect(selected[0]?.chain).toEqual([SMALL, MEDIUM, LARGE]);
    expect(selected[0]?.reason).toMatch(
      /^chose small-coder:1b: complexity small \(11 chars, 1 criteria, label typo/,
    );
    // The small model's change failed the secret scan: a failure on each kind of the task.
    const stats = first.store.modelOutcomeStats(0);
    expect(stats.filter((s) => s.model === SMALL).map((s) => [s.kind, s.failures])).toEqual([
      ['label:typo', 1],
      ['size:small', 1],
    ]);
    await first.close();

    const second = await open(root);
    const deps = { source: second.source, store: second.store, events: second.events, maxRetries: 3 };
    expect(await applyRetries(deps, await planRetries(deps, { taskId: '1', all: true }))).toBe(1);
    const retried: TpEvents['model.selected'][] = [];
    second.events.on('model.selected', (e) => retried.push(e));
    await second.worker.start({ watch: false });
    await second.worker.idle();

    expect(folderContents(root).review).toEqual(['task-1 - Fix a typo.md']);
    expect(retried[0]?.chain).toEqual([MEDIUM, LARGE, SMALL]);
    expect(retried[0]?.reason).toBe(`chose ${MEDIUM}: retry after ${SMALL} failed: tier medium or above`);
    const after = second.store.modelOutcomeStats(0);
    expect(after.find((s) => s.model === MEDIUM && s.kind === 'label:typo')).toMatchObject({
      successes: 1,
      failures: 0,
    });
  });

  it('a change that reaches review with failing verify commands counts as a failure of its model', async () => {
    fake = await startModels();
    const { root } = await project(fake, { verify: { commands: ['test ! -e medium.txt'], maxRounds: 0 } });
    writeTask(root, '2', { title: 'Fix a bug', description: 'Fix the crash.', extra: 'labels: [bug]' });
    const app = await open(root);
    await app.worker.start({ watch: false });
    await app.worker.idle();
    // Failing checks do not fail the task (they stop auto-merge) but they teach the selector.
    expect(folderContents(root).review).toEqual(['task-2 - Fix a bug.md']);
    const stats = app.store.modelOutcomeStats(0);
    expect(stats.find((s) => s.model === MEDIUM && s.kind === 'label:bug')).toMatchObject({
      successes: 0,
      failures: 1,
    });
  });
});
