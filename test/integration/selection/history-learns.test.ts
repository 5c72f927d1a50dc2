import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TpEvents } from '../../../src/events/index.js';
import { type FakeOllama, type ResponderRequest, startFakeOllama } from '../../fixtures/fake-ollama/index.js';
import { openAppsClosedAfterEach } from '../../helpers/apps.js';
import { folderContents, makeProject, writeTask } from '../../helpers/project.js';

const WEAK = 'weak-coder:1b';
const GOOD = 'good-coder:7b';

/**
 * The scripted models: WEAK answers in prose and changes nothing (the attempt fails with "no
 * changes"); GOOD writes a file named after the task, then finishes.
 */
function responder(req: ResponderRequest) {
  if (req.model.startsWith('weak')) return { content: 'I looked at it and I think it is fine as it is.' };
  if (req.messages.some((m) => m.role === 'tool'))
    return { toolCalls: [{ name: 'finish', arguments: { summary: 'Wrote the file.' } }] };
  const id = /\(task (\w+)\)/.exec(req.messages.find((m) => m.role === 'user')?.content ?? '')?.[1] ?? 'x';
  return {
    toolCalls: [{ name: 'write_file', arguments: { path: `fix-${id}.txt`, content: `fixed ${id}\n` } }],
  };
}

describe('model selection through the real app (history strategy)', () => {
  const open = openAppsClosedAfterEach();
  let fake: FakeOllama | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('the second task of a kind goes first to the model that succeeded on the first', async () => {
    fake = await startFakeOllama({
      models: [
        { name: WEAK, contextLength: 32768, capabilities: ['completion', 'tools'] },
        { name: GOOD, contextLength: 32768, capabilities: ['completion', 'tools'] },
      ],
    });
    fake.setResponder(responder);
    const { root } = await makeProject({
      processing: { concurrency: 1 },
      agent: { type: 'builtin', allowCommands: [] },
      ollama: {
        host: fake.url,
        defaultModel: WEAK,
        fallbackModels: [GOOD],
        availableModels: [WEAK, GOOD],
        healthCheck: { enabled: false },
      },
      modelSelection: { strategy: 'history', explorationRate: 0 },
    });
    writeTask(root, '1', { title: 'First bug', extra: 'labels: [bug]' });
    writeTask(root, '2', { title: 'Second bug', extra: 'labels: [bug]' });
    const app = await open(root);
    const selected: TpEvents['model.selected'][] = [];
    app.events.on('model.selected', (e) => selected.push(e));

    await app.worker.start({ watch: false });
    await app.worker.idle();

    expect(folderContents(root).review).toHaveLength(2);
    const byTask = new Map(selected.map((e) => [e.taskId, e]));
    // Nothing known yet: the fixed order decides, the weak model fails, the good one makes the change.
    expect(byTask.get('1')?.chain).toEqual([WEAK, GOOD]);
    expect(byTask.get('1')?.reason).toBe(
      `chose ${WEAK}: history: no outcomes on label:bug, size:medium yet (prior mean 0.5)`,
    );
    // Task 1's outcomes (weak failed, good reached review) send task 2 to the good model first.
    expect(byTask.get('2')?.strategy).toBe('history');
    expect(byTask.get('2')?.chain).toEqual([GOOD, WEAK]);
    expect(byTask.get('2')?.reason).toMatch(
      new RegExp(`^chose ${GOOD}: history 1/1 on label:bug, p50 \\d+ (ms|s)$`),
    );
    // Task 2 never reached the weak model: every chat about it went to the good one.
    const chatsAbout = (id: string) =>
      fake!
        .requestsTo('/api/chat')
        .map((r) => r.body as { model: string; messages: Array<{ role: string; content: string }> })
        .filter((b) => b.messages.some((m) => m.role === 'user' && m.content.includes(`(task ${id})`)))
        .map((b) => b.model);
    expect(chatsAbout('1')[0]).toBe(WEAK);
    expect(chatsAbout('2').length).toBeGreaterThan(0);
    expect(new Set(chatsAbout('2'))).toEqual(new Set([GOOD]));

    const stats = app.store.modelOutcomeStats(0);
    const of = (model: string, kind: string) => stats.find((s) => s.model === model && s.kind === kind);
    expect(of(WEAK, 'label:bug')).toMatchObject({ successes: 0, failures: 1 });
    expect(of(GOOD, 'label:bug')).toMatchObject({ successes: 2, failures: 0 });
    expect(of(GOOD, 'size:medium')?.durationsMs).toHaveLength(2);
    // The PR's run report carries the explanation.
    const pr = app.store.listPullRequests().find((p) => p.taskId === '2');
    expect(pr?.body).toContain(`chose ${GOOD}: history 1/1 on label:bug`);
    // One info line per choice in the processor log, with the task id.
    await app.close();
    const lines = readFileSync(path.join(root, 'logs', 'processor.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('chose '))
      .map((l) => JSON.parse(l) as { taskId?: string; message?: string; reason?: string; level?: unknown });
    expect(lines.map((l) => [l.taskId, l.message, l.reason?.slice(0, l.reason.indexOf(': '))])).toEqual([
      ['1', 'model.selected', `chose ${WEAK}`],
      ['2', 'model.selected', `chose ${GOOD}`],
    ]);
  });
});
