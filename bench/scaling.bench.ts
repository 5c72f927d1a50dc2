import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type FakeOllama, startFakeOllama } from '../test/fixtures/fake-ollama/index.js';
import { BIN, makeProject } from '../test/helpers/project.js';
import { hasRedisServer, startRedis } from '../test/helpers/redis.js';
import { type BenchResult, round, summary } from './lib.js';
import { dropTasks, pollArrivals, stopChild, waitForLine } from './peers.js';
import { buildDist } from './support.js';

const WORKERS = (process.env.BENCH_WORKERS ?? '1,2,4').split(',').map(Number);
const PER_WORKER = Number(process.env.BENCH_TASKS_PER_WORKER ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const REPLY_MS = Number(process.env.BENCH_REPLY_MS ?? 2_000);
const MODEL = 'qwen2.5-coder:7b';

/**
 * A model that takes REPLY_MS per reply: the first reply writes one file named after the task,
 * the second finishes. So a task costs two replies of simulated LLM latency.
 */
async function slowOllama(): Promise<FakeOllama> {
  const fake = await startFakeOllama();
  fake.setResponder(async (req) => {
    await new Promise((r) => setTimeout(r, REPLY_MS));
    const ticket = req.messages.map((m) => m.content).join('\n');
    const id = /task-(\d+)|Burst task (\d+)/.exec(ticket);
    const name = `scaled-${id?.[1] ?? id?.[2] ?? Math.random().toString(36).slice(2)}.txt`;
    if (!req.messages.some((m) => m.role === 'tool'))
      return { toolCalls: [{ name: 'write_file', arguments: { path: name, content: 'scaled\n' } }] };
    return { toolCalls: [{ name: 'finish', arguments: { summary: 'wrote the file' } }] };
  });
  return fake;
}

function workerCommandExists(): boolean {
  return spawnSync(process.execPath, [BIN, 'worker', '--help'], { stdio: 'ignore' }).status === 0;
}

/** k worker processes, 8·k tasks; ms from the drop to the last task in review/. */
async function once(k: number, hosts: FakeOllama[]): Promise<number> {
  const redis = await startRedis();
  const urls = hosts.map((h) => h.url);
  const { root } = await makeProject({
    agent: { type: 'builtin' },
    ollama: {
      defaultModel: `ollama/${MODEL}`,
      availableModels: [`ollama/${MODEL}`],
      hosts: urls.map((url) => ({ url })),
    },
    queue: { backend: 'bullmq', redis: { url: redis.url }, prefix: redis.prefix(), workers: 0 },
    processing: { concurrency: k },
    logging: { colorize: false },
  });
  const env = { ...process.env, NO_COLOR: '1' };
  const children: ChildProcess[] = [];
  const spawnCli = (args: string[]) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr?.resume();
    children.push(child);
    return child;
  };
  try {
    const coordinator = spawnCli(['start', '--no-server']);
    await waitForLine(coordinator, /Watching /);
    coordinator.stdout?.resume();
    for (let i = 1; i <= k; i++) {
      const w = spawnCli(['worker', '--concurrency', '1', '--name', `w${i}`, '--hosts', urls.join(',')]);
      w.stdout?.resume();
    }
    // Workers register by heartbeat; give them the same head start in every round.
    await new Promise((r) => setTimeout(r, 3_000));
    const drop = dropTasks(root, PER_WORKER * k);
    const last = await pollArrivals(path.join(root, 'backlog', 'review'), PER_WORKER * k, 600_000);
    return last - drop;
  } finally {
    await Promise.all(children.map((c) => stopChild(c)));
    await redis.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Scaling with simulated LLM latency: fake Ollama on 2 hosts replying in 2 s, builtin agent,
 * 1 → 2 → 4 `ticket-processor worker` processes (concurrency 1 each), 8 tasks per worker.
 * speed-up(k) = throughput(k) / throughput(1); efficiency = speed-up / k (target ≥ 0.8).
 */
export default async function run(): Promise<BenchResult> {
  const name = `Scaling: 1 → ${WORKERS.at(-1)} workers, fake Ollama on 2 hosts, ${REPLY_MS} ms per reply`;
  if (!hasRedisServer())
    return { name, rows: [{ workers: '-', result: 'not measured: redis-server is not installed' }] };
  buildDist();
  if (!workerCommandExists())
    return {
      name,
      rows: [{ workers: '-', result: 'not measured: `ticket-processor worker` is not built yet' }],
    };
  const hosts = [await slowOllama(), await slowOllama()];
  const rows: BenchResult['rows'] = [];
  try {
    let base: number | undefined;
    for (const k of WORKERS) {
      const ms: number[] = [];
      for (let i = 0; i < ROUNDS; i++) ms.push(await once(k, hosts));
      const tasksPerMin = (PER_WORKER * k * 60_000) / summary(ms).p50;
      base ??= tasksPerMin / k;
      const speedUp = tasksPerMin / base;
      rows.push({
        workers: k,
        tasks: PER_WORKER * k,
        'rounds (s)': ms.map((v) => round(v / 1000, 1)).join(', '),
        'tasks/min (median)': round(tasksPerMin, 2),
        'speed-up': `${round(speedUp, 2)}×`,
        efficiency: round(speedUp / k, 2),
      });
    }
  } finally {
    await Promise.all(hosts.map((h) => h.close()));
  }
  return {
    name,
    rows,
    notes: [
      `Each task: 2 model replies of ${REPLY_MS} ms (write_file, then finish), so ≥ ${(2 * REPLY_MS) / 1000} s of simulated LLM time. ${ROUNDS} rounds per row, medians. Coordinator: \`start\` (queue.backend bullmq); workers: \`worker --concurrency 1 --hosts <both>\`.`,
      'Target: efficiency (speed-up / workers) ≥ 0.8.',
      `Machine: ${os.cpus().length} cores, load average at the end ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}.`,
    ],
  };
}
