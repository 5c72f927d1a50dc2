import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Agent } from '../src/agents/types.js';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config/index.js';
import { BIN, makeProject } from '../test/helpers/project.js';
import { hasRedisServer, startRedis } from '../test/helpers/redis.js';
import { type BenchResult, round, summary } from './lib.js';
import { stopChild, waitForLine } from './peers.js';
import { buildDist } from './support.js';

const TASKS = Number(process.env.BENCH_TASKS ?? 60);
const BULL_TASKS = Number(process.env.BENCH_BULL_TASKS ?? 20);
/** The original waits for the file to be stable for watchDebounce (1000 ms), then moveDelay (500 ms). */
const ORIGINAL_FIXED_DELAY_MS = 1500;

const instant: Agent = {
  name: 'instant',
  run: async (input) => {
    await writeFile(path.join(input.workdir, `t-${input.task.id}.txt`), input.task.title);
    return { stopReason: 'done', summary: 'instant', outputTail: '' };
  },
};

function ticket(id: number): string {
  return `---\ntitle: Bench task ${id}\npriority: medium\ndescription: d\nacceptanceCriteria:\n  - a\n---\n\nbody\n`;
}

/**
 * Orchestration under queue.backend bullmq: the real CLI (`start`, `queue.workers: 1`: one
 * in-process BullMQ worker, real redis-server). Claim → "→ review/" progress line, which the
 * coordinator prints once the job's result is applied (store ops replayed, file moved); lines
 * are stamped on arrival. Tasks one at a time, a command agent (the worker builds its own).
 */
async function bullOrchestration(): Promise<{ ms: number[] } | { reason: string }> {
  if (!hasRedisServer()) return { reason: 'not measured: redis-server is not installed' };
  buildDist();
  const redis = await startRedis();
  const { root } = await makeProject({
    agent: { type: 'command', command: 'echo "change $TP_TASK_ID" > "file-$TP_TASK_ID.txt"' },
    processing: { concurrency: 1 },
    queue: { backend: 'bullmq', redis: { url: redis.url }, prefix: redis.prefix(), workers: 1 },
    logging: { colorize: false },
  });
  const child = spawn(process.execPath, [BIN, 'start', '--no-server'], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.resume();
  const claimed = new Map<string, number>();
  const published = new Map<string, number>();
  let pending = '';
  child.stdout?.on('data', (d: Buffer) => {
    const now = performance.now();
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const m = /^task (\S+): (\S+)/.exec(line);
      if (m && m[2] === 'claimed') claimed.set(m[1]!, now);
      else if (m && line.includes('→ review/')) published.set(m[1]!, now);
    }
  });
  const ms: number[] = [];
  try {
    await waitForLine(child, /Watching /);
    await new Promise((r) => setTimeout(r, 2_000));
    for (let i = 1; i <= BULL_TASKS; i++) {
      const id = String(i);
      await writeFile(path.join(root, 'backlog', 'todo', `task-${id} - Bench task ${id}.md`), ticket(i));
      const end = performance.now() + 60_000;
      while (!published.has(id)) {
        if (performance.now() > end) return { reason: `not measured: task ${id} not in review/ within 60 s` };
        await new Promise((r) => setTimeout(r, 10));
      }
      ms.push(published.get(id)! - (claimed.get(id) ?? Number.NaN));
    }
    return { ms };
  } finally {
    await stopChild(child);
    await redis.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Pickup latency (file written → task claimed) with the watcher running, and orchestration
 * overhead per task with an instant agent (claim → worktree → commit → push → PR → review/).
 * Tasks are written one at a time, each after the previous reached review/, so pickup is not
 * queueing behind work. Half are written in place, half via temp file + rename (as editors do).
 */
export default async function run(): Promise<BenchResult> {
  const { root } = await makeProject({ processing: { concurrency: 1 } });
  const app = await createApp(loadConfig({ cwd: root, env: {} }), { agent: instant });
  const todo = app.folders.todo;
  const pickup: number[] = [];
  const orchestration: number[] = [];
  const written = new Map<string, number>();
  const claimedAt = new Map<string, number>();
  app.events.on('task.claimed', (e) => {
    const now = performance.now();
    claimedAt.set(e.taskId, now);
    const w = written.get(e.taskId);
    if (w !== undefined) pickup.push(now - w);
  });
  // Per-stage time: from entering a stage to entering the next one.
  const stageMs: Record<string, number[]> = {};
  const lastStage = new Map<string, { stage: string; at: number }>();
  const closeStage = (taskId: string, now: number) => {
    const prev = lastStage.get(taskId);
    if (!prev) return;
    const list = stageMs[prev.stage] ?? [];
    list.push(now - prev.at);
    stageMs[prev.stage] = list;
  };
  app.events.on('task.stage', (e) => {
    closeStage(e.taskId, e.elapsedMs);
    lastStage.set(e.taskId, { stage: e.stage, at: e.elapsedMs });
  });
  app.events.on('task.published', (e) => closeStage(e.taskId, e.elapsedMs));
  await app.worker.start({ watch: true });
  try {
    for (let i = 1; i <= TASKS; i++) {
      const id = String(i);
      const done = app.events.waitFor('task.published', (e) => e.taskId === id);
      const file = path.join(todo, `task-${id} - Bench task ${id}.md`);
      written.set(id, performance.now());
      if (i % 2 === 0) {
        const tmp = path.join(path.dirname(todo), `.edit-${id}.swp`);
        await writeFile(tmp, ticket(i));
        await rename(tmp, file);
      } else {
        await writeFile(file, ticket(i));
      }
      const pub = await done;
      orchestration.push(pub.elapsedMs);
    }
  } finally {
    await app.close();
  }
  const p = summary(pickup);
  const o = summary(orchestration);
  const bull = await bullOrchestration();
  const b = 'ms' in bull ? summary(bull.ms) : undefined;
  return {
    name: `Pickup latency and orchestration overhead (${TASKS} tasks, instant agent)`,
    rows: [
      { measure: 'pickup: file written → claimed (ms)', n: p.n, p50: p.p50, p95: p.p95, max: p.max },
      {
        measure: 'original tool: fixed delay before pickup (ms)',
        n: '-',
        p50: ORIGINAL_FIXED_DELAY_MS,
        p95: ORIGINAL_FIXED_DELAY_MS,
        max: '-',
      },
      {
        measure: 'ratio original / ours (p50)',
        n: '-',
        p50: `${round(ORIGINAL_FIXED_DELAY_MS / p.p50)}×`,
        p95: `${round(ORIGINAL_FIXED_DELAY_MS / p.p95)}×`,
        max: '-',
      },
      { measure: 'orchestration: claim → PR → review/ (ms)', n: o.n, p50: o.p50, p95: o.p95, max: o.max },
      b
        ? {
            measure: 'orchestration, bullmq (CLI, 1 in-process worker): claim → applied → review/ (ms)',
            n: b.n,
            p50: b.p50,
            p95: b.p95,
            max: b.max,
          }
        : {
            measure: 'orchestration, bullmq',
            n: '-',
            p50: 'reason' in bull ? bull.reason : '-',
            p95: '-',
            max: '-',
          },
    ],
    notes: [
      `Stage p50 (ms): ${Object.entries(stageMs)
        .map(([k, v]) => `${k} ${summary(v).p50}`)
        .join(', ')}.`,
      'Targets: pickup p50 < 250 ms; orchestration p50 < 200 ms (issue 13).',
      'Orchestration covers: store writes, git worktree add, commit, push to a local bare remote, PR record, rename to review/, worktree removal.',
    ],
  };
}
