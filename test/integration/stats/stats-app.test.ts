import { afterEach, describe, expect, it } from 'vitest';
import type { StatsSnapshot } from '../../../src/stats/index.js';
import type { AttemptRecord } from '../../../src/store/index.js';
import { type FakeOllama, type ResponderRequest, startFakeOllama } from '../../fixtures/fake-ollama/index.js';
import { openAppsClosedAfterEach } from '../../helpers/apps.js';
import { folderContents, makeProject, runCli, writeTask } from '../../helpers/project.js';

const WEAK = 'weak-coder:1b';
const GOOD = 'good-coder:7b';

/** WEAK answers in prose (no change: the attempt fails); GOOD writes a file, except for task 3. */
function responder(req: ResponderRequest) {
  const user = req.messages.find((m) => m.role === 'user')?.content ?? '';
  const id = /\(task (\w+)\)/.exec(user)?.[1] ?? 'x';
  if (req.model.startsWith('weak') || id === '3') return { content: 'It looks fine to me as it is.' };
  if (req.messages.some((m) => m.role === 'tool'))
    return { toolCalls: [{ name: 'finish', arguments: { summary: 'Wrote the file.' } }] };
  return {
    toolCalls: [{ name: 'write_file', arguments: { path: `fix-${id}.txt`, content: `fixed ${id}\n` } }],
  };
}

/** The model numbers as the store's attempts tell them, per model. */
function fromAttempts(attempts: AttemptRecord[]) {
  const out: Record<string, { attempts: number; successes: number; failures: number }> = {};
  for (const a of attempts) {
    out[a.model] ??= { attempts: 0, successes: 0, failures: 0 };
    const m = out[a.model]!;
    m.attempts++;
    if (a.code === undefined) m.successes++;
    else m.failures++;
  }
  return out;
}

describe('stats through the real app (fake Ollama, real store, real CLI)', () => {
  const open = openAppsClosedAfterEach();
  let fake: FakeOllama | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('snapshot, status --json and /metrics agree with what happened: 2 tasks done, 1 failed', async () => {
    fake = await startFakeOllama({
      models: [WEAK, GOOD].map((name) => ({
        name,
        contextLength: 32768,
        capabilities: ['completion', 'tools'],
      })),
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
      modelSelection: { strategy: 'fixed' },
    });
    for (const id of ['1', '2', '3']) writeTask(root, id, { title: `Fix bug ${id}` });
    const app = await open(root);
    const seenRunning: StatsSnapshot['running'][] = [];
    app.events.on('attempt.started', () => {
      void app.stats.snapshot().then((s) => seenRunning.push(s.running));
    });
    await app.worker.start({ watch: false });
    await app.worker.idle();
    expect(folderContents(root)).toMatchObject({
      review: expect.any(Array),
      failed: ['task-3 - Fix bug 3.md'],
    });
    expect(folderContents(root).review).toHaveLength(2);

    const snap = await app.stats.snapshot();
    // While tasks ran, each was listed with its model.
    expect(seenRunning.some((r) => r.length === 1 && r[0]?.stage === 'agent')).toBe(true);
    expect(snap.running).toEqual([]);
    expect(snap.processing).toMatchObject({
      total: 3,
      successful: 2,
      failed: 1,
      successRate: 2 / 3,
      folders: { todo: 0, doing: 0, review: 2, failed: 1, completed: 0 },
      windowHours: 24,
    });
    expect(snap.processing.avgProcessingTime).toBeGreaterThan(0);

    // Per model: the same counts as the store's attempts of the three tasks.
    const attempts = ['1', '2', '3'].flatMap((id) => app.store.listAttempts(id));
    const expected = fromAttempts(attempts);
    expect(expected[WEAK]).toEqual({ attempts: 3, successes: 0, failures: 3 });
    expect(expected[GOOD]).toEqual({ attempts: 3, successes: 2, failures: 1 });
    for (const model of [WEAK, GOOD]) {
      expect(snap.models[model]).toMatchObject({
        ...expected[model],
        successRate: expected[model]!.successes / expected[model]!.attempts,
      });
      expect(snap.models[model]!.p95Ms).toBeGreaterThanOrEqual(snap.models[model]!.p50Ms!);
    }
    // The good model's two changes reported their tokens.
    expect(snap.models[GOOD]!.tokens).toBeGreaterThan(0);
    expect(snap.failures).toEqual([
      expect.objectContaining({
        taskId: '3',
        file: 'task-3 - Fix bug 3.md',
        code: 'AGENT_NO_CHANGES',
        retryable: false,
      }),
    ]);
    expect(snap.hosts.map((h) => [h.url, h.state])).toEqual([[fake.url, 'CLOSED']]);
    expect(snap.system.ollamaHealthy).toBe(true);
    const trend = await app.stats.trends('24h');
    expect(trend.reduce((n, p) => n + p.done, 0)).toBe(2);
    expect(trend.reduce((n, p) => n + p.failed, 0)).toBe(1);

    // Prometheus: the gauges carry the snapshot's values.
    const text = await app.metrics.metrics();
    for (const model of [WEAK, GOOD]) {
      const m = snap.models[model]!;
      expect(text).toContain(`tp_model_success_ratio{model="${model}"} ${m.successRate}`);
      expect(text).toContain(`tp_model_attempts{model="${model}"} ${m.attempts}`);
      expect(text).toContain(`tp_model_attempt_duration_p95_seconds{model="${model}"} ${m.p95Ms! / 1000}`);
    }
    expect(text).toMatch(/^tp_queue_depth 0$/m);
    expect(text).toMatch(/^tp_tasks_running 0$/m);
    expect(text).toMatch(/^tp_tasks_failed_waiting 1$/m);
    await app.close();

    // The real CLI in another process reads the same numbers from the store.
    const res = await runCli(['status', '--json'], { cwd: root });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const status = JSON.parse(res.stdout) as StatsSnapshot & { counts: Record<string, number> };
    expect(status.counts).toMatchObject({ review: 2, failed: 1 });
    expect(status.models).toEqual(JSON.parse(JSON.stringify(snap.models)));
    expect(status.processing).toEqual({ ...snap.processing });
    expect(status.failures).toEqual(snap.failures);
  }, 120_000);
});
