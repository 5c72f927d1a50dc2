import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type App, createApp } from '../src/app.js';
import { loadConfig } from '../src/config/index.js';
import { type FakeOllama, startFakeOllama } from '../test/fixtures/fake-ollama/index.js';
import { makeProject } from '../test/helpers/project.js';
import { type BenchResult, round, summary } from './lib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const LOAD_MS = Number(process.env.BENCH_LOAD_MS ?? 1_500);
/** How long the service has been running when the first task is dropped in (scenario "later"). */
const ARRIVES_AFTER_MS = LOAD_MS + 500;
const MODEL = 'qwen2.5-coder:7b';

type Scenario = 'later' | 'queued';

function ticket(id: string): string {
  return `---\ntitle: Bench task ${id}\npriority: medium\ndescription: write t-${id}.txt\nacceptanceCriteria:\n  - a\n---\n\nbody\n`;
}

/** The built-in agent's turns for one task: write a file, then finish. */
function script(f: FakeOllama, id: string): void {
  f.enqueueReply('*', {
    toolCalls: [{ name: 'write_file', arguments: { path: `t-${id}.txt`, content: 'hi\n' } }],
  });
  f.enqueueReply('*', { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] });
}

/**
 * One fresh service (fresh fake Ollama with nothing loaded, fresh project): the time from the
 * first task being available (written, or the service started with it queued) to its PR. The
 * real app: watcher, built-in agent over the router, real git, local forge.
 */
async function firstTask(warm: boolean, scenario: Scenario): Promise<{ total: number; agent: number }> {
  const fake = await startFakeOllama({
    models: [{ name: MODEL, contextLength: 32768, capabilities: ['completion', 'tools'] }],
    loadDelayMs: LOAD_MS,
  });
  let app: App | undefined;
  try {
    const { root } = await makeProject({
      agent: { type: 'builtin', allowCommands: [] },
      ollama: { host: fake.url, defaultModel: MODEL, healthCheck: { enabled: false } },
      performance: { warmUp: { enabled: warm } },
      processing: { concurrency: 1 },
    });
    app = await createApp(loadConfig({ cwd: root, env: {} }));
    script(fake, '1');
    const file = path.join(app.folders.todo, 'task-1 - Bench task 1.md');
    const published = app.events.waitFor('task.published', (e) => e.taskId === '1');
    // The agent stage (all model calls and tool work): from entering it to entering the next stage.
    const stages: Array<{ stage: string; at: number }> = [];
    app.events.on('task.stage', (e) => stages.push({ stage: e.stage, at: e.elapsedMs }));
    let from: number;
    if (scenario === 'queued') {
      await writeFile(file, ticket('1'));
      from = performance.now();
      // What `start` does: warm-up beside intake, then the worker.
      app.warmUp?.trigger();
      await app.worker.start({ watch: true });
    } else {
      app.warmUp?.trigger();
      await app.worker.start({ watch: true });
      await new Promise((r) => setTimeout(r, ARRIVES_AFTER_MS));
      from = performance.now();
      await writeFile(file, ticket('1'));
    }
    await published;
    const total = performance.now() - from;
    const i = stages.findIndex((s) => s.stage === 'agent');
    const agent = (stages[i + 1]?.at ?? Number.NaN) - (stages[i]?.at ?? Number.NaN);
    await app.warmUp?.idle();
    return { total, agent };
  } finally {
    await app?.close();
    await fake.close();
  }
}

/**
 * Warm-up benchmark (issue 10, "Must show"): first-task latency with and without warm-up against
 * a fake Ollama that takes LOAD_MS to load a model that is not resident.
 */
export default async function run(): Promise<BenchResult> {
  const rows: Array<Record<string, string | number>> = [];
  for (const scenario of ['later', 'queued'] as const) {
    const cold: Array<{ total: number; agent: number }> = [];
    const warm: Array<{ total: number; agent: number }> = [];
    for (let i = 0; i < RUNS; i++) {
      // Alternate so drift (disk cache, JIT) does not favour one side.
      cold.push(await firstTask(false, scenario));
      warm.push(await firstTask(true, scenario));
    }
    const label = scenario === 'later' ? `written ${ARRIVES_AFTER_MS} ms after start` : 'queued at start';
    for (const measure of ['agent', 'total'] as const) {
      const c = summary(cold.map((r) => r[measure]));
      const w = summary(warm.map((r) => r[measure]));
      const what = measure === 'agent' ? 'agent stage' : 'available → PR';
      rows.push(
        { 'first task': label, measure: what, run: 'cold (warmUp off)', n: c.n, p50: c.p50, p95: c.p95 },
        { 'first task': label, measure: what, run: 'warm (warmUp on)', n: w.n, p50: w.p50, p95: w.p95 },
        {
          'first task': label,
          measure: what,
          run: 'cold − warm; ratio (p50)',
          n: '-',
          p50: `${round(c.p50 - w.p50)} ms; ${round(c.p50 / w.p50, 2)}×`,
          p95: '-',
        },
      );
    }
  }
  return {
    name: `Warm-up: first task's latency, cold vs warm (fake Ollama load delay ${LOAD_MS} ms, ${RUNS} runs each)`,
    rows,
    notes: [
      'Times in ms, through the real app (watcher, built-in agent with scripted tool calls over the router, git, local forge). "agent stage": entering the agent stage → entering the next stage (two model calls and a file write). "available → PR": the task written into todo/ (or the service started with it queued) → task.published.',
      'Each run: a fresh fake Ollama (no model resident) and a fresh project; cold and warm runs alternate.',
      'When the task is already queued at start, the warm-up and the first chat wait for the same load: warm-up only overlaps it with intake and the workspace preparation.',
    ],
  };
}
