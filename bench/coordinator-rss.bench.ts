import { spawn } from 'node:child_process';
import { readFileSync, rmSync, utimesSync } from 'node:fs';
import os from 'node:os';
import { Redis } from 'ioredis';
import { BIN, folderContents, makeProject, writeTask } from '../test/helpers/project.js';
import { hasRedisServer, startRedis } from '../test/helpers/redis.js';
import { type BenchResult, round, summary } from './lib.js';
import { stopChild, waitForLine } from './peers.js';
import { buildDist } from './support.js';

const TASKS = Number(process.env.BENCH_TASKS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 10_000);

function vmRssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

async function usedMemoryMb(redis: Redis): Promise<number> {
  const m = /used_memory:(\d+)/.exec(await redis.info('memory'));
  return m ? Number(m[1]) / 1024 / 1024 : Number.NaN;
}

interface Round {
  rssMb: number;
  redisMb: number;
  redisBaseMb: number;
  scanMs: number;
  inDoing: number;
  keys: number;
}

/**
 * The coordinator (`start` with queue.backend bullmq, no workers anywhere) with `TASKS` task
 * files: after the scan (its "Watching" line) plus `IDLE_MS` idle, VmRSS of the process and
 * Redis `used_memory` (minus what it used before the coordinator started).
 */
async function once(tasks: number): Promise<Round> {
  const redis = await startRedis();
  const client = new Redis(redis.url);
  const { root } = await makeProject({
    queue: { backend: 'bullmq', redis: { url: redis.url }, prefix: redis.prefix(), workers: 0 },
    logging: { colorize: false },
  });
  const old = new Date(Date.now() - 3_600_000);
  for (let i = 1; i <= tasks; i++) {
    const file = writeTask(root, String(i), { title: `Queued task ${i}` });
    utimesSync(file, old, old);
  }
  const redisBaseMb = await usedMemoryMb(client);
  const child = spawn(process.execPath, [BIN, 'start', '--no-server'], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  try {
    const started = performance.now();
    await waitForLine(child, /Watching /, 300_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${stderr.slice(-1000)}`);
    });
    const scanMs = performance.now() - started;
    child.stdout?.resume();
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const rssMb = vmRssMb(child.pid!);
    const redisMb = await usedMemoryMb(client);
    const keys = await client.dbsize();
    return { rssMb, redisMb, redisBaseMb, scanMs, inDoing: folderContents(root).doing?.length ?? 0, keys };
  } finally {
    await stopChild(child);
    client.disconnect();
    await redis.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

function loads(l: number[]): string {
  return l.map((x) => x.toFixed(2)).join(' ');
}

export default async function run(): Promise<BenchResult> {
  const name = `Coordinator idle with ${TASKS} queued tasks (queue.backend bullmq, no workers)`;
  if (!hasRedisServer())
    return {
      name,
      rows: [{ measure: 'coordinator VmRSS', value: 'not measured: redis-server is not installed' }],
    };
  buildDist();
  const loadAtStart = os.loadavg();
  const rows: BenchResult['rows'] = [];
  // The 0-task row is the floor: what the coordinator holds before any task is queued.
  for (const tasks of [0, TASKS]) {
    const rounds: Round[] = [];
    for (let i = 0; i < ROUNDS; i++) rounds.push(await once(tasks));
    const med = (f: (r: Round) => number) => round(summary(rounds.map(f)).p50, 1);
    const list = (f: (r: Round) => number) => rounds.map((r) => round(f(r), 1)).join(', ');
    const row = (measure: string, f: (r: Round) => number, target = '-') => ({
      tasks,
      measure,
      rounds: list(f),
      median: med(f),
      target,
    });
    rows.push(
      row('coordinator VmRSS (MB)', (r) => r.rssMb, tasks > 0 ? '< 150' : '-'),
      row('Redis used_memory, growth (MB)', (r) => r.redisMb - r.redisBaseMb),
      row('Redis keys', (r) => r.keys),
      row('task files in doing/ (claimed)', (r) => r.inDoing),
      row('start → scan done (s)', (r) => r.scanMs / 1000),
    );
  }
  return {
    name,
    rows,
    notes: [
      `VmRSS from /proc/<pid>/status of \`node bin/ticket-processor.js start --no-server\`, read ${IDLE_MS / 1000} s after its "Watching" line; ${ROUNDS} rounds, medians; a fresh redis-server (no persistence) per round.`,
      'Reference (design §5): node with a BullMQ Queue + QueueEvents is about 74 MB RSS, bare node 41 MB.',
      `Machine: ${os.cpus().length} cores, load average at the start ${loads(loadAtStart)}, at the end ${loads(os.loadavg())}.`,
      'Under bullmq the implicit default lane is uncapped: the coordinator claims every queued task and adds its job to Redis (the Redis rows), so "idle" is after that burst of claims.',
    ],
  };
}
