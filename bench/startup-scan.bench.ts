import { rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config/index.js';
import type { Dispatcher } from '../src/pipeline/dispatch.js';
import { Worker } from '../src/pipeline/worker.js';
import { QueueSet } from '../src/queue/index.js';
import { makeProject } from '../test/helpers/project.js';
import { type BenchResult, round, summary } from './lib.js';

const SIZES = (process.env.BENCH_SCAN_SIZES ?? '1000,10000').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** Claims are handed to a dispatcher that never finishes: only intake is timed. */
const never: Dispatcher = {
  prepare: async () => undefined,
  run: (_file, _task, signal) =>
    new Promise((_resolve, reject) => {
      // A claim made after stop() (the next task, once this one settles) sees an aborted signal.
      if (signal.aborted) reject(signal.reason);
      else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    }),
};

function task(id: number): string {
  const deps = id > 1 && id % 10 === 0 ? `dependencies: [task-${id - 1}]\n` : '';
  return `---\ntitle: Scan task ${id}\nstatus: To Do\npriority: ${['high', 'medium', 'low'][id % 3]}\ndescription: Do thing ${id}\nacceptanceCriteria:\n  - It works\n${deps}---\n\n# Scan task ${id}\n`;
}

/** `Worker.start({watch:false})` over `n` task files already in todo/ (an hour old: a restart). */
async function scanOnce(n: number): Promise<number> {
  const { root } = await makeProject({ processing: { concurrency: 1 } });
  try {
    const todo = path.join(root, 'backlog', 'todo');
    const old = new Date(Date.now() - 3_600_000);
    for (let i = 1; i <= n; i++) {
      const file = path.join(todo, `task-${i} - Scan task ${i}.md`);
      writeFileSync(file, task(i));
      utimesSync(file, old, old);
    }
    const app = await createApp(loadConfig({ cwd: root, env: {} }));
    const config = app.loaded.config;
    const worker = new Worker(
      {
        source: app.source,
        store: app.store,
        queues: QueueSet.fromConfig(config.processing),
        dispatcher: never,
        events: app.events,
        logger: app.logs.get('watcher'),
      },
      {
        watchDebounceMs: config.processing.watchDebounce,
        stabilityPollMs: config.processing.stabilityPollMs,
        secrets: app.secrets,
      },
    );
    const started = performance.now();
    await worker.start({ watch: false });
    const ms = performance.now() - started;
    await worker.stop();
    await app.close();
    return ms;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Start-up scan: time of `Worker.start({watch:false})` (memory backend) with 1k and 10k task
 * files in todo/ (every tenth depends on the previous one). Target: 10k in under 5 s.
 */
export default async function run(): Promise<BenchResult> {
  const rows: BenchResult['rows'] = [];
  for (const n of SIZES) {
    const ms: number[] = [];
    for (let i = 0; i < ROUNDS; i++) ms.push(await scanOnce(n));
    const s = summary(ms);
    rows.push({
      files: n,
      rounds: ms.map((v) => round(v / 1000, 2)).join(', '),
      'median s': round(s.p50 / 1000, 2),
      'ms per file': round(s.p50 / n, 2),
    });
  }
  return {
    name: 'Start-up scan: Worker.start({watch:false}) over task files in todo/',
    rows,
    notes: [
      `Source: ${process.env.BENCH_LABEL ?? 'working tree'}. ${ROUNDS} rounds, medians. Target: 10,000 files < 5 s.`,
      `Machine: ${os.cpus().length} cores, load average at the end ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}.`,
    ],
  };
}
