import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/index.js';
import { ANY_MODEL, storeOpSchema, type TaskJobData } from '../../../src/queue/bullmq/contracts.js';
import { faultPoint } from '../../../src/queue/bullmq/fault.js';
import { FixedSelector, servedChain } from '../../../src/queue/bullmq/fixed-selector.js';
import { JobEvents } from '../../../src/queue/bullmq/job-events.js';
import { RecordingStore } from '../../../src/queue/bullmq/recording-store.js';
import { configuredModels, restrictHosts, servedModels } from '../../../src/queue/bullmq/served-models.js';
import { parseJobData, requestOf } from '../../../src/queue/bullmq/worker-job.js';
import { makeTask } from '../../helpers/task.js';

function data(over: Partial<TaskJobData> = {}): TaskJobData {
  return {
    v: 1,
    request: {
      kind: 'retry',
      task: makeTask({ id: '7' }),
      file: 'task-7 - A task.md',
      branch: 'task-7',
      previous: { commitSha: 'c0ffee', modelUsed: 'old' },
    },
    selection: {
      chain: ['x', 'b', 'a'],
      strategy: 'fixed',
      kinds: ['size:small'],
      size: 'small',
      reason: 'r',
    },
    repoKey: 'default',
    enqueuedAt: 1,
    ...over,
  } as TaskJobData;
}

function memoryCache() {
  const m = new Map<string, string>();
  return { cacheGet: (k: string) => m.get(k), cachePut: (k: string, v: string) => void m.set(k, v) };
}

describe('RecordingStore', () => {
  it('reads the run from the job, records writes as store ops that survive JSON, caches privately', () => {
    const s = new RecordingStore(data(), memoryCache());
    expect(s.getRun('7')).toMatchObject({
      taskId: '7',
      branch: 'task-7',
      commitSha: 'c0ffee',
      retryCount: 1,
    });
    expect(s.getRun('8')).toBeUndefined();
    s.upsertRun({ taskId: '7', commitSha: 'abc', modelUsed: undefined });
    expect(s.getRun('7')).toMatchObject({ commitSha: 'abc', modelUsed: 'old' });
    s.addAttempt({ taskId: '7', attemptNumber: 1, model: 'a', startedAt: 'now' });
    s.recordModelOutcome({ taskId: '7', model: 'a', kind: 'size:small', ok: true, durationMs: 5 });
    s.audit('task.committed', '7', { commitSha: 'abc', host: undefined });
    s.audit('system.thing', undefined, {});
    s.audit('by.someone', '7', undefined, 'alice');
    expect(s.listAttempts()).toEqual([]);
    expect(s.modelOutcomeStats()).toEqual([]);
    expect(s.ops.map((o) => o.op)).toEqual([
      'upsertRun',
      'addAttempt',
      'recordModelOutcome',
      'audit',
      'audit',
    ]);
    // What the coordinator reads back from Redis parses (no undefined turned into null).
    for (const op of JSON.parse(JSON.stringify(s.ops)) as unknown[])
      expect(storeOpSchema.safeParse(op).success).toBe(true);
    s.cachePut('k', 'v', { ttlMs: 1000, maxEntries: 10 });
    expect(s.cacheGet('k')).toBe('v');
  });

  it('throws INTERNAL for everything that belongs to the coordinator', () => {
    const s = new RecordingStore(data(), memoryCache());
    expect(() => s.listRuns()).toThrow(/not available on a worker/);
    expect(() => s.createPullRequest()).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    expect(() => s.markDelivery()).toThrow(/not available on a worker/);
  });
});

describe('FixedSelector', () => {
  it("keeps the job's chain order, only the served models", () => {
    const served = new Set(['a:latest', 'b:latest']);
    expect(new FixedSelector(data(), served, 'b:latest').choose()).toMatchObject({
      chain: ['b', 'a'],
      strategy: 'fixed',
      reason: 'r',
    });
    expect(servedChain(['x'], served, 'b:latest')).toEqual(['b:latest']);
    expect(servedChain([], served, ANY_MODEL)).toEqual([]);
  });
});

describe('job data', () => {
  it('refuses garbage and other versions', () => {
    expect(() => parseJobData({ v: 1, nope: true })).toThrow(/does not parse/);
    expect(() => parseJobData({ ...data(), v: 2 })).toThrow(/version 2/);
    expect(parseJobData(JSON.parse(JSON.stringify(data()))).request.task.id).toBe('7');
  });

  it("a checkpoint's commit wins over the coordinator's record", () => {
    expect(requestOf(data()).previous).toEqual({ commitSha: 'c0ffee', modelUsed: 'old' });
    const cp = data({ checkpoint: { commitSha: 'beef', modelUsed: 'new', worker: 'w', at: 2 } });
    expect(requestOf(cp).previous).toEqual({ commitSha: 'beef', modelUsed: 'new' });
  });
});

describe('JobEvents', () => {
  it('forwards only the forwarded events of its task, numbered, redacted; output only at debug and throttled', async () => {
    const sent: Array<{ seq: number; name: string; payload: unknown }> = [];
    const ev = new JobEvents({
      taskId: '7',
      send: async (e) => sent.push(e),
      secrets: ['hunter2-secret'],
      debug: true,
    });
    ev.bus.emit('task.stage', { taskId: '7', file: 'f', stage: 'agent', elapsedMs: 1 });
    ev.bus.emit('task.stage', { taskId: '8', file: 'f', stage: 'agent', elapsedMs: 1 });
    ev.bus.emit('task.claimed' as never, { taskId: '7' } as never);
    for (let i = 0; i < 10; i++)
      ev.bus.emit('attempt.output', {
        taskId: '7',
        file: 'f',
        attemptNumber: 1,
        chunk: `x${'y'.repeat(9000)} hunter2-secret`,
      });
    await ev.flush();
    expect(sent[0]).toMatchObject({ seq: 1, name: 'task.stage', payload: { taskId: '7' } });
    const outputs = sent.filter((e) => e.name === 'attempt.output');
    expect(outputs).toHaveLength(4);
    const chunk = (outputs[0]!.payload as { chunk: string }).chunk;
    expect(chunk.length).toBeLessThanOrEqual(4096);
    expect(chunk).not.toContain('hunter2-secret');
    expect(sent.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);

    const quiet: unknown[] = [];
    const q = new JobEvents({ taskId: '7', send: async (e) => quiet.push(e), secrets: [], debug: false });
    q.bus.emit('attempt.output', { taskId: '7', file: 'f', attemptNumber: 1, chunk: 'x' });
    await q.flush();
    expect(quiet).toEqual([]);
  });
});

describe('served models', () => {
  const config = configSchema.parse({
    ollama: {
      defaultModel: 'ollama/m1',
      availableModels: [],
      fallbackModels: ['m2'],
      hosts: [{ url: 'http://h1:11434', models: ['m3'] }, { url: 'http://h2:11434' }],
    },
    modelSelection: { tiers: { large: ['m4'] }, profiles: { sec: ['m5'] } },
  });

  it('--models wins; else the configured ones plus what the hosts list', async () => {
    expect(configuredModels(config)).toEqual([
      'm1:latest',
      'm2:latest',
      'm3:latest',
      'm4:latest',
      'm5:latest',
    ]);
    expect(await servedModels(config, { models: ['a', 'a:latest'] })).toEqual(['a:latest']);
    const tags = {
      hostClients: () => [
        { url: 'h1', client: { list: async () => [{ name: 'm9:7b' }] } },
        { url: 'h2', client: { list: () => Promise.reject(new Error('down')) } },
      ],
    };
    expect(await servedModels(config, { models: [], tags })).toContain('m9:7b');
  });

  it('--hosts restricts the hosts and keeps what the config says of a known one', () => {
    const c = restrictHosts(config, ['http://h1:11434/', 'http://h3:11434']);
    expect(c.ollama.hosts).toEqual([
      expect.objectContaining({ url: 'http://h1:11434', models: ['m3'] }),
      { url: 'http://h3:11434', weight: 1 },
    ]);
    expect(c.ollama.host).toBe('http://h1:11434');
    expect(restrictHosts(config, [])).toBe(config);
  });
});

describe('TP_FAULT', () => {
  it('is honoured only under NODE_ENV=test', () => {
    expect(faultPoint({ NODE_ENV: 'test', TP_FAULT: 'after-push' })).toBe('after-push');
    expect(faultPoint({ NODE_ENV: 'production', TP_FAULT: 'after-push' })).toBeUndefined();
    expect(faultPoint({ NODE_ENV: 'test', TP_FAULT: 'nonsense' })).toBeUndefined();
  });
});
