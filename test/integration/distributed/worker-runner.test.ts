import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { type Job, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import type { PushedRun } from '../../../src/pipeline/run-result.js';
import {
  jobIdFor,
  type ProgressEvent,
  queueNameFor,
  type TaskJobData,
  type TaskJobResult,
} from '../../../src/queue/bullmq/contracts.js';
import { listWorkers } from '../../../src/queue/bullmq/registry.js';
import { createWorkerRunner } from '../../../src/queue/bullmq/worker-runner.js';
import { gitOut, makeProject, runCli, tmpDir } from '../../helpers/project.js';
import { redisSuiteMode, startRedis, type TestRedis } from '../../helpers/redis.js';
import { makeTask } from '../../helpers/task.js';

const mode = redisSuiteMode();
const WRITE = 'echo "change $TP_TASK_ID" > "file-$TP_TASK_ID.txt"';

/** A job as the coordinator makes it, for task `id` with model chain `chain`. */
function jobData(id: string, chain: string[], over: Partial<TaskJobData> = {}): TaskJobData {
  return {
    v: 1,
    request: {
      kind: 'task',
      task: makeTask({ id, title: `Task ${id}` }),
      file: `task-${id} - Task ${id}.md`,
      branch: `task-${id}`,
      previous: {},
    },
    selection: { chain, strategy: 'fixed', kinds: ['size:small'], size: 'small', reason: 'test chain' },
    repoKey: 'default',
    enqueuedAt: Date.now(),
    ...over,
  } as TaskJobData;
}

describe.skipIf(mode.skip)('worker runner (queue.backend bullmq) with real Redis and git', () => {
  let redis: TestRedis;
  const closers: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  });
  afterAll(async () => {
    await redis?.stop();
  });

  async function setup(models: string[], opts: { command?: string; prefix?: string; root?: string } = {}) {
    const prefix = opts.prefix ?? redis.prefix();
    const { root, remote } = await makeProject({
      queue: {
        backend: 'bullmq',
        redis: { url: redis.url },
        prefix,
        lockDurationMs: 4000,
        stalledIntervalMs: 1000,
      },
      agent: { type: 'command', command: opts.command ?? WRITE },
      sandbox: { mode: 'none' },
      ollama: { defaultModel: 'a', availableModels: [], fallbackModels: [] },
    });
    const loaded = loadConfig({ cwd: root, env: { ...process.env, REDIS_URL: redis.url } });
    const runner = await createWorkerRunner(loaded, { name: 'w1', models, concurrency: 2 });
    closers.push(() => runner.stop());
    await runner.start();
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    conn.on('error', () => undefined);
    closers.push(async () => conn.disconnect());
    const queues = new Map<string, Queue>();
    const queue = (model: string) => {
      let q = queues.get(model);
      if (!q) {
        q = new Queue(queueNameFor(model), { connection: conn, prefix });
        queues.set(model, q);
        closers.push(() => q!.close());
      }
      return q;
    };
    const events = new Map<string, QueueEvents>();
    /** Adds a job and resolves once it finished (completed or failed). */
    const run = async (model: string, data: unknown, jobId: string): Promise<Job> => {
      let qe = events.get(model);
      if (!qe) {
        const qeConn = new Redis(redis.url, { maxRetriesPerRequest: null });
        qeConn.on('error', () => undefined);
        qe = new QueueEvents(queueNameFor(model), { connection: qeConn, prefix });
        events.set(model, qe);
        closers.push(async () => qeConn.disconnect());
        closers.push(() => qe!.close());
        await qe.waitUntilReady();
      }
      const job = await queue(model).add(jobId, data, { jobId, attempts: 1 });
      await job.waitUntilFinished(qe, 30_000).catch(() => undefined);
      return (await queue(model).getJob(jobId))!;
    };
    return { root, remote, prefix, runner, conn, queue, run, loaded };
  }

  it('runs a job to a pushed branch and a PR request, records store ops, leaves the project store alone', async () => {
    const s = await setup(['a']);
    expect(s.runner.models).toEqual(['a:latest']);
    const workers = await listWorkers(s.conn, s.prefix);
    expect(workers.map((w) => [w.name, w.models])).toEqual([['w1', ['a:latest', '*']]]);

    const job = await s.run('a', jobData('1', ['a']), jobIdFor('1', 1));
    expect(await job.getState()).toBe('completed');
    const out = job.returnvalue as TaskJobResult;
    expect(out.worker).toBe('w1');
    expect(out.result.status).toBe('pushed');
    const result = out.result as PushedRun;
    expect(result.model).toBe('a');
    // Local forge: the coordinator opens the PR from this request.
    expect(result.prRequest?.input.head).toBe('task-1');
    expect(result.pr).toBeUndefined();
    expect(gitOut(['rev-parse', 'task-1'], s.remote)).toBe(result.commitSha);
    expect(gitOut(['show', 'task-1:file-1.txt'], s.remote)).toBe('change 1');
    const upserts = out.storeOps.filter((o) => o.op === 'upsertRun').map((o) => o.args[0]);
    expect(upserts).toContainEqual(expect.objectContaining({ taskId: '1', commitSha: result.commitSha }));
    expect(out.storeOps.some((o) => o.op === 'audit' && o.args[0] === 'task.committed')).toBe(true);
    // The checkpoint reached the job before the push.
    expect(job.data.checkpoint).toMatchObject({ commitSha: result.commitSha, worker: 'w1' });
    // Progress: the last forwarded event of this task (the PR stage), numbered after the earlier ones.
    const last = job.progress as ProgressEvent;
    expect(last).toMatchObject({ name: 'task.stage', payload: { taskId: '1', stage: 'pull-request' } });
    expect(last.seq).toBeGreaterThan(3);
    // The worker never opened the project's SQLite; its own disk is its slot.
    const storePath = path.resolve(s.root, s.loaded.config.store.path);
    expect(existsSync(storePath)).toBe(false);
    expect(readdirSync(path.join(s.root, s.loaded.config.folders.repos, 'workers'))).toEqual(['0']);
  });

  it('a worker serving model a never takes a job in the queue of b', async () => {
    const s = await setup(['a']);
    const b = await s.queue('b').add(jobIdFor('2', 1), jobData('2', ['b']), { jobId: jobIdFor('2', 1) });
    // A job for a, added after it, is done while b's still waits.
    const a = await s.run('a', jobData('3', ['a']), jobIdFor('3', 1));
    expect(await a.getState()).toBe('completed');
    await new Promise((r) => setTimeout(r, 500));
    expect(await b.getState()).toBe('waiting');
  });

  it('a job whose checkpoint is the remote head goes straight to the PR: no second commit', async () => {
    const s = await setup(['a']);
    const first = await s.run('a', jobData('4', ['a']), jobIdFor('4', 1));
    const sha = ((first.returnvalue as TaskJobResult).result as PushedRun).commitSha ?? '';
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    const data = jobData('4', ['a'], {
      checkpoint: { commitSha: sha, modelUsed: 'a', worker: 'dead-worker', at: Date.now() },
    });
    const again = await s.run('a', data, jobIdFor('4', 2));
    const out = again.returnvalue as TaskJobResult;
    expect(out.result.status).toBe('pushed');
    expect((out.result as PushedRun).commitSha).toBe(sha);
    expect((out.result as PushedRun).prRequest?.input.head).toBe('task-4');
    // The agent did not run again: no attempt recorded, one commit above main on the branch.
    expect(out.storeOps.some((o) => o.op === 'addAttempt')).toBe(false);
    expect(out.result.stageMs.agent).toBeUndefined();
    expect(gitOut(['rev-list', '--count', 'main..task-4'], s.remote)).toBe('1');
  });

  it('fails a job whose data does not parse or has another version', async () => {
    const s = await setup(['a']);
    const garbage = await s.run('a', { v: 1, hello: 'world' }, 'tgarbage-r1');
    expect(await garbage.getState()).toBe('failed');
    expect(garbage.failedReason).toMatch(/Refused the job/);
    const future = await s.run('a', { ...jobData('5', ['a']), v: 2 }, jobIdFor('5', 1));
    expect(await future.getState()).toBe('failed');
    expect(future.failedReason).toMatch(/version 2/);
    expect(() => gitOut(['rev-parse', '--verify', 'task-5'], s.remote)).toThrow();
  });

  it('a stopping worker hands its running job back; another worker finishes it with one commit', async () => {
    // The first run of the agent sleeps (its worker is stopped meanwhile); any later run is instant.
    const mark = path.join(tmpDir(), 'slept');
    const sleepy = `if [ -f '${mark}' ]; then ${WRITE}; else touch '${mark}'; sleep 30; fi`;
    const s = await setup(['a'], { command: sleepy });
    const id = jobIdFor('6', 1);
    const job = await s.queue('a').add(id, jobData('6', ['a']), { jobId: id });
    const deadline = Date.now() + 20_000;
    while (!existsSync(mark) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(existsSync(mark)).toBe(true);
    expect(await job.getState()).toBe('active');
    await s.runner.stop();
    // Back in waiting at once, not failed and not left to the stalled check.
    expect(await job.getState()).toBe('waiting');
    expect(await listWorkers(s.conn, s.prefix)).toEqual([]);

    const loaded = loadConfig({ cwd: s.root, env: { ...process.env, REDIS_URL: redis.url } });
    const second = await createWorkerRunner(loaded, { name: 'w2', models: ['a'] });
    closers.push(() => second.stop());
    await second.start();
    expect(second.slot).toBe(0);
    const qeConn = s.conn.duplicate();
    qeConn.on('error', () => undefined);
    const qe = new QueueEvents(queueNameFor('a'), { connection: qeConn, prefix: s.prefix });
    closers.push(async () => qeConn.disconnect());
    closers.push(() => qe.close());
    const done = (await job.waitUntilFinished(qe, 30_000)) as TaskJobResult;
    expect(done.worker).toBe('w2');
    expect(done.result.status).toBe('pushed');
    expect(gitOut(['rev-list', '--count', 'main..task-6'], s.remote)).toBe('1');
  });

  it('a worker that lost its job lock before the push does not push (split-brain fence)', async () => {
    const mark = path.join(tmpDir(), 'started');
    const s = await setup(['a'], { command: `touch '${mark}'; sleep 1; ${WRITE}` });
    const id = jobIdFor('9', 1);
    const job = await s.queue('a').add(id, jobData('9', ['a']), { jobId: id });
    const deadline = Date.now() + 20_000;
    while (!existsSync(mark) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    // Another worker "owns" the job now: its lock holds a token that is not ours.
    await s.conn.set(`${s.prefix}:${queueNameFor('a')}:${id}:lock`, 'another-worker', 'PX', 60_000);
    const stage = async () =>
      ((await s.queue('a').getJob(id))?.progress as ProgressEvent | undefined)?.payload;
    while (
      Date.now() < deadline &&
      (await stage()) &&
      ((await stage()) as { stage?: string }).stage !== 'push'
    )
      await new Promise((r) => setTimeout(r, 25));
    expect(await stage()).toMatchObject({ taskId: '9', stage: 'push' });
    await new Promise((r) => setTimeout(r, 1_000));
    // The commit was made and checkpointed, but nothing reached the remote, and the job was not completed.
    expect((await s.queue('a').getJob(id))?.data.checkpoint?.commitSha).toMatch(/^[0-9a-f]{40}$/);
    expect(() => gitOut(['rev-parse', '--verify', 'task-9'], s.remote)).toThrow();
    expect(await job.getState()).toBe('active');
  });

  it('`ticket-processor worker` refuses queue.backend memory', async () => {
    const { root } = await makeProject({ agent: { type: 'command', command: WRITE } });
    const res = await runCli(['worker', '--name', 'w9'], { cwd: root, timeoutMs: 30_000 });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('queue.backend "bullmq"');
    expect(res.stderr).toContain('→');
  });
});
