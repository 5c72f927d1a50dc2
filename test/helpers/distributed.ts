import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach } from 'vitest';
import type { TaskJobResult, WorkerInfo } from '../../src/queue/bullmq/contracts.js';
import { listTaskQueues, listWorkers } from '../../src/queue/bullmq/registry.js';
import { BIN, folderContents, gitOut, makeProject } from './project.js';
import type { TestRedis } from './redis.js';
import { waitFor } from './serve.js';

/*
 * Distributed mode end to end: a real coordinator (`start` with queue.backend bullmq) and real
 * `worker` processes on a real Redis, spawned through the CLI. Every process (and every agent a
 * test made sleep) is killed after each test, failed or not: a leaked worker would hold CPU,
 * Redis connections and worktrees while the next tests run.
 */

/** An instant command agent: one file per task, naming the model the worker ran it with. */
export const INSTANT_AGENT = 'echo "change for $TP_TASK_ID by $TP_MODEL" > "file-$TP_TASK_ID.txt"';

/**
 * An agent that, for the task named by env SLEEP_TASK, records its pid and waits (at most 60 s)
 * the first time it runs; every other run is instant. The test kills its worker meanwhile.
 */
export const SLEEPY_AGENT = [
  'if [ "$TP_TASK_ID" = "$SLEEP_TASK" ] && [ ! -f "$MARK/slept-$TP_TASK_ID" ]; then',
  '  echo $$ > "$MARK/pid-$$"; touch "$MARK/slept-$TP_TASK_ID";',
  '  i=0; while [ $i -lt 600 ] && [ ! -f "$MARK/release" ]; do sleep 0.1; i=$((i+1)); done;',
  'fi;',
  INSTANT_AGENT,
].join(' ');

export interface ClusterProject {
  root: string;
  remote: string;
  prefix: string;
  redisUrl: string;
  /** A folder outside the worktrees where agents leave marks (env MARK). */
  marks: string;
}

/**
 * A project whose `start` is a BullMQ coordinator: local forge, command agent, short lock and
 * stall times (a killed worker's job is taken over in ≈ lockDuration + 2 × stalledInterval),
 * and one fixed model `m1` unless the task names another (a worker serving `m1` takes it).
 */
export async function makeClusterProject(
  redis: TestRedis,
  config: Record<string, unknown> = {},
): Promise<ClusterProject> {
  const prefix = redis.prefix();
  const { queue, ...rest } = config as { queue?: Record<string, unknown> };
  const { root, remote } = await makeProject({
    agent: { type: 'command', command: INSTANT_AGENT, env: ['MARK', 'SLEEP_TASK'] },
    // Agents leave marks outside their worktree (so the test knows when to kill); a sandbox
    // would rightly refuse that. Confinement is tested in test/security/.
    sandbox: { mode: 'none' },
    ollama: { defaultModel: 'm1', availableModels: [], fallbackModels: [] },
    ...rest,
    queue: {
      backend: 'bullmq',
      redis: { url: redis.url },
      prefix,
      lockDurationMs: 4000,
      stalledIntervalMs: 1000,
      reconcileIntervalMs: 1000,
      ...queue,
    },
  });
  const marks = path.join(root, 'marks');
  mkdirSync(marks);
  return { root, remote, prefix, redisUrl: redis.url, marks };
}

/** One spawned CLI process. */
export interface Proc {
  readonly name: string;
  readonly pid: number;
  /** stdout and stderr so far, interleaved. */
  output(): string;
  running(): boolean;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL of this process only (its children live on, as after a real crash). */
  kill9(): Promise<void>;
  /** SIGTERM, then SIGKILL after 20 s. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface WorkerOptions {
  name: string;
  models?: string[];
  concurrency?: number;
  env?: Record<string, string>;
}

/** Read-only views of a cluster's Redis prefix and the coordinator's SQLite. */
export interface ClusterHarness {
  /** `start` (coordinator), ready once it printed that it watches (lease taken, reconciled). */
  coordinator(p: ClusterProject, env?: Record<string, string>): Promise<Proc>;
  /** `worker`, ready once its heartbeat is in Redis. */
  worker(p: ClusterProject, opts: WorkerOptions): Promise<Proc>;
  /** `worker` without waiting for its heartbeat (a worker that kills itself early). */
  spawnWorker(p: ClusterProject, opts: WorkerOptions): Proc;
  redis(p: ClusterProject): ClusterRedis;
}

/** Spawns processes that are all killed (with their process groups) after each test. */
export function clusterHarness(): ClusterHarness {
  const procs: Array<{ proc: Proc; child: ChildProcess }> = [];
  const views: ClusterRedis[] = [];
  const markDirs = new Set<string>();
  afterEach(async () => {
    for (const { proc, child } of procs.splice(0)) {
      try {
        // The process group: git and agent children a SIGKILLed process left behind.
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
      if (proc.running()) child.kill('SIGKILL');
      await Promise.race([proc.exited, new Promise((r) => setTimeout(r, 5_000))]);
    }
    for (const dir of markDirs) killRecordedAgents(dir);
    markDirs.clear();
    for (const v of views.splice(0)) await v.close();
  });

  function launch(p: ClusterProject, name: string, args: string[], env: Record<string, string> = {}): Proc {
    markDirs.add(p.marks);
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: p.root,
      env: { ...process.env, NODE_ENV: 'test', MARK: p.marks, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so cleanup reaches the children of a killed process.
      detached: true,
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    let gone = false;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('close', (code, signal) => {
        gone = true;
        resolve({ code, signal });
      }),
    );
    const proc: Proc = {
      name,
      pid: child.pid!,
      output: () => out,
      running: () => !gone,
      exited,
      async kill9() {
        if (!gone) child.kill('SIGKILL');
        await exited;
      },
      async stop() {
        if (!gone) child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        const res = await exited;
        clearTimeout(killer);
        return res;
      },
    };
    procs.push({ proc, child });
    return proc;
  }

  function spawnWorker(p: ClusterProject, opts: WorkerOptions): Proc {
    const args = ['worker', '--name', opts.name];
    if (opts.models) args.push('--models', opts.models.join(','));
    if (opts.concurrency) args.push('--concurrency', String(opts.concurrency));
    return launch(p, opts.name, args, opts.env);
  }

  function redis(p: ClusterProject): ClusterRedis {
    const v = new ClusterRedis(p.redisUrl, p.prefix);
    views.push(v);
    return v;
  }

  return {
    async coordinator(p, env) {
      const proc = launch(p, 'coordinator', ['start'], env);
      await waitFor(
        () => {
          if (!proc.running()) throw new Error(`start exited early:\n${proc.output()}`);
          return /Watching /.test(proc.output());
        },
        'the coordinator to watch its todo folder',
        30_000,
      );
      return proc;
    },
    async worker(p, opts) {
      const proc = spawnWorker(p, opts);
      const view = redis(p);
      await waitFor(
        async () => {
          if (!proc.running()) throw new Error(`worker ${opts.name} exited early:\n${proc.output()}`);
          return (await view.workers()).some((w) => w.name === opts.name);
        },
        `worker ${opts.name}'s heartbeat in Redis`,
        30_000,
      );
      return proc;
    },
    spawnWorker,
    redis,
  };
}

/** Kills the agents a SLEEPY_AGENT recorded (they outlive a killed worker, by design). */
function killRecordedAgents(dir: string): void {
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir).filter((n) => n.startsWith('pid-'))) {
    const pid = Number(readFileSync(path.join(dir, f), 'utf8').trim());
    try {
      if (pid > 1) process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** One entry of a BullMQ queue's event stream (`<prefix>:<queue>:events`). */
export interface QueueEvent {
  queue: string;
  /** Redis time of the event (ms), from the stream id. */
  at: number;
  seq: string;
  event: string;
  jobId: string | undefined;
  fields: Record<string, string>;
}

/** Read-only look at one Redis prefix: BullMQ counts, the event streams, the live workers. */
export class ClusterRedis {
  readonly conn: Redis;

  constructor(
    url: string,
    readonly prefix: string,
  ) {
    this.conn = new Redis(url, { maxRetriesPerRequest: null });
    this.conn.on('error', () => undefined);
  }

  async queues(): Promise<string[]> {
    return (await listTaskQueues(this.conn, this.prefix)).map((q) => q.queue);
  }

  /** Job counts per state summed over every task queue (prioritized counts as waiting). */
  async counts(): Promise<Record<string, number>> {
    const sum: Record<string, number> = {};
    for (const name of await this.queues()) {
      const q = new Queue(name, { connection: this.conn, prefix: this.prefix });
      try {
        for (const [state, n] of Object.entries(await q.getJobCounts())) {
          const key = state === 'prioritized' ? 'waiting' : state;
          sum[key] = (sum[key] ?? 0) + n;
        }
      } finally {
        await q.close();
      }
    }
    return sum;
  }

  /** Jobs left in Redis in any state. */
  async total(): Promise<number> {
    return Object.values(await this.counts()).reduce((a, b) => a + b, 0);
  }

  /** The state of a job (undefined when it does not exist). */
  async jobState(queue: string, jobId: string): Promise<string | undefined> {
    const q = new Queue(queue, { connection: this.conn, prefix: this.prefix });
    try {
      const state = await q.getJobState(jobId);
      return state === 'unknown' ? undefined : state;
    } finally {
      await q.close();
    }
  }

  /** Every event of every task queue, oldest first. */
  async events(): Promise<QueueEvent[]> {
    const out: QueueEvent[] = [];
    for (const queue of await this.queues()) {
      const entries = await this.conn.xrange(`${this.prefix}:${queue}:events`, '-', '+');
      for (const [seq, flat] of entries) {
        const fields: Record<string, string> = {};
        for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
        out.push({
          queue,
          seq,
          at: Number(seq.split('-')[0]),
          event: fields.event ?? '',
          jobId: fields.jobId,
          fields,
        });
      }
    }
    return out.sort((a, b) => a.at - b.at);
  }

  /** Completed jobs as their workers returned them: job id → worker name and task id. */
  async completions(): Promise<
    Array<{ queue: string; jobId: string; worker: string; taskId: string; status: string }>
  > {
    return (await this.events())
      .filter((e) => e.event === 'completed' && e.jobId)
      .map((e) => {
        const r = JSON.parse(e.fields.returnvalue ?? 'null') as TaskJobResult | null;
        return {
          queue: e.queue,
          jobId: e.jobId!,
          worker: r?.worker ?? '',
          taskId: r?.result.taskId ?? '',
          status: r?.result.status ?? '',
        };
      });
  }

  workers(): Promise<WorkerInfo[]> {
    return listWorkers(this.conn, this.prefix);
  }

  async close(): Promise<void> {
    this.conn.disconnect();
  }
}

/** Reads the coordinator's SQLite (WAL: safe beside the running coordinator; nothing is written). */
export function readStore<T>(root: string, read: (db: Database.Database) => T): T {
  const db = new Database(path.join(root, '.ticket-processor/state.db'), { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return read(db);
  } finally {
    db.close();
  }
}

export interface PrRow {
  number: number;
  head: string;
  state: string;
  task_id: string | null;
}

export function pullRequests(root: string): PrRow[] {
  return readStore(root, (db) =>
    db.prepare('SELECT number, head, state, task_id FROM pull_requests ORDER BY number').all(),
  ) as PrRow[];
}

export interface AuditRow {
  id: number;
  ts: string;
  name: string;
  task_id: string | null;
}

/** Audit rows in the order they were written (ids grow), optionally only one event name. */
export function auditRows(root: string, name?: string): AuditRow[] {
  return readStore(root, (db) =>
    name
      ? db.prepare('SELECT id, ts, name, task_id FROM audit WHERE name = ? ORDER BY id').all(name)
      : db.prepare('SELECT id, ts, name, task_id FROM audit ORDER BY id').all(),
  ) as AuditRow[];
}

export function appliedJobs(root: string): string[] {
  return readStore(root, (db) =>
    (db.prepare('SELECT job_id FROM applied_jobs ORDER BY job_id').all() as Array<{ job_id: string }>).map(
      (r) => r.job_id,
    ),
  );
}

/** Commits on `branch` above main in the bare remote. */
export function commitsAboveMain(remote: string, branch: string): number {
  return Number(gitOut(['rev-list', '--count', `main..${branch}`], remote));
}

export interface Folders {
  todo: string[];
  doing: string[];
  review: string[];
  failed: string[];
  completed: string[];
}

/** The task files per folder. */
export function folders(root: string): Folders {
  const f = folderContents(root);
  return {
    todo: f.todo ?? [],
    doing: f.doing ?? [],
    review: f.review ?? [],
    failed: f.failed ?? [],
    completed: f.completed ?? [],
  };
}

/** Waits until `n` task files are in `folder` (review/ by default); names the folders on a timeout. */
export async function waitForFolder(
  root: string,
  n: number,
  folder: keyof Folders = 'review',
  timeoutMs = 90_000,
): Promise<void> {
  await waitFor(
    () => folders(root)[folder].length === n,
    `${n} tasks in ${folder}/`,
    timeoutMs,
    () => folders(root),
  );
}
