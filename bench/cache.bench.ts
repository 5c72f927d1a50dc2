import path from 'node:path';
import { EventBus } from '../src/events/index.js';
import { type ChatRequest, createResponseCache, hashInputs, OllamaModelClient } from '../src/models/index.js';
import { SqliteStore } from '../src/store/index.js';
import { startFakeOllama } from '../test/fixtures/fake-ollama/index.js';
import { tmpDir } from '../test/helpers/project.js';
import { type BenchResult, round, summary } from './lib.js';

const N = Number(process.env.BENCH_CACHE_N ?? 40);
const FIRST_TOKEN_MS = Number(process.env.BENCH_FIRST_TOKEN_MS ?? 100);
const MODEL = 'qwen2.5-coder:7b';

/** A review-like request for one file: system prompt, task, diff; structured output; deterministic. */
function reviewRequest(file: string, version: number): { request: ChatRequest; inputs: string } {
  const body = Array.from(
    { length: 40 },
    (_, i) => `+  const v${i} = compute(${i}, "${file}", ${version});`,
  ).join('\n');
  const diff = `diff --git a/${file} b/${file}\n--- a/${file}\n+++ b/${file}\n@@ -1,3 +1,43 @@\n${body}`;
  return {
    request: {
      model: MODEL,
      messages: [
        { role: 'system', content: 'You are a strict code reviewer. Reply with JSON findings only.' },
        {
          role: 'user',
          content: `Task: add the compute calls.\nAcceptance: compute is called for every value.\n\n${diff}`,
        },
      ],
      format: { type: 'object', properties: { findings: { type: 'array' } }, required: ['findings'] },
      options: { temperature: 0, seed: 7 },
      numCtx: 8192,
    },
    inputs: hashInputs([{ path: file, content: `${file} v${version}\n${body}` }]),
  };
}

/** A realistic review reply (~1.5 KB of JSON). */
const REPLY = JSON.stringify({
  findings: Array.from({ length: 6 }, (_, i) => ({
    severity: ['major', 'minor', 'info'][i % 3],
    category: 'bugs',
    file: 'src/x.ts',
    line: 10 + i,
    message: `compute(${i}) is called with a literal instead of the loop variable; the value never changes.`,
    suggestion: `Pass the loop variable to compute instead of ${i}.`,
  })),
});

/**
 * Response cache benchmark (issue 10, "Must show"): latency of a hit vs a miss, where a miss is
 * a real streamed call to the fake Ollama whose first token takes FIRST_TOKEN_MS (a small model
 * already loaded; real reviews take seconds), and the hit rate when a run of review requests is
 * replayed (unchanged, and with a quarter of the files changed in between).
 */
export default async function run(): Promise<BenchResult> {
  const fake = await startFakeOllama();
  fake.setResponder(() => ({ content: REPLY }));
  fake.injectFault({ kind: 'slow-first-token', delayMs: FIRST_TOKEN_MS }, { paths: ['/api/chat'] });
  const store = new SqliteStore(path.join(tmpDir('tp-cache-bench-'), 'state.db'));
  const events = new EventBus();
  const lookups: boolean[] = [];
  events.on('cache.lookup', (e) => lookups.push(e.hit));
  const client = new OllamaModelClient({ host: fake.url });
  const cache = createResponseCache({ store, events, enabled: true, ttlMs: 3_600_000, maxEntries: 2_000 });
  const timed = async (r: { request: ChatRequest; inputs: string }) => {
    const t = performance.now();
    const out = await cache.chat(client, r.request, 'review', r.inputs);
    return { ms: performance.now() - t, cached: out.cached };
  };
  try {
    const files = Array.from({ length: N }, (_, i) => `src/module-${i}.ts`);
    // Pass 1: every request is new (misses); pass 2: the same run replayed.
    const miss: number[] = [];
    for (const f of files) miss.push((await timed(reviewRequest(f, 1))).ms);
    lookups.length = 0;
    const hit: number[] = [];
    for (const f of files) hit.push((await timed(reviewRequest(f, 1))).ms);
    const replayRate = lookups.filter(Boolean).length / lookups.length;
    // Pass 3: a quarter of the files changed since (new diff and inputs): those must miss.
    lookups.length = 0;
    for (const [i, f] of files.entries()) await timed(reviewRequest(f, i % 4 === 0 ? 2 : 1));
    const changedRate = lookups.filter(Boolean).length / lookups.length;
    const m = summary(miss);
    const h = summary(hit);
    return {
      name: `Response cache: hit vs miss (${N} review-like requests, fake Ollama first token ${FIRST_TOKEN_MS} ms)`,
      rows: [
        { measure: 'miss: call to the model + store write (ms)', n: m.n, p50: m.p50, p95: m.p95, max: m.max },
        { measure: 'hit: digest memo + store read (ms)', n: h.n, p50: h.p50, p95: h.p95, max: h.max },
        {
          measure: 'ratio miss / hit',
          n: '-',
          p50: `${round(m.p50 / h.p50)}×`,
          p95: `${round(m.p95 / h.p95)}×`,
          max: '-',
        },
        {
          measure: 'hit rate, run replayed unchanged',
          n: lookups.length,
          p50: `${round(replayRate * 100)} %`,
          p95: '-',
          max: '-',
        },
        {
          measure: 'hit rate, replayed with 1/4 of files changed',
          n: lookups.length,
          p50: `${round(changedRate * 100)} %`,
          p95: '-',
          max: '-',
        },
      ],
      notes: [
        'Target: hit ≥ 50× faster than a miss (p50).',
        'Store: SqliteStore on a file (WAL), as in production. A miss includes one /api/tags call for the model digest (memoised 60 s).',
        'A hit also replays the text once through onChunk, so streaming callers see the same content.',
      ],
    };
  } finally {
    store.close();
    await fake.close();
  }
}
