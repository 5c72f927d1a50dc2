import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TpError } from '../../../src/errors/index.js';
import {
  type HostConfig,
  ModelRouter,
  type ModelRouterOptions,
  type RouterEvent,
} from '../../../src/models/index.js';
import type { AttemptRunner } from '../../../src/pipeline/types.js';
import { ScriptedClient } from './scripted-client.js';

const A = 'http://a:11434';
const B = 'http://b:11434';

interface Setup {
  router: ModelRouter;
  clients: Map<string, ScriptedClient>;
  events: RouterEvent[];
}

function setup(
  hosts: Array<HostConfig & { installed: string[] }>,
  overrides: Partial<ModelRouterOptions> = {},
): Setup {
  const clients = new Map(hosts.map((h) => [h.url, new ScriptedClient(h.url, h.installed)]));
  const events: RouterEvent[] = [];
  const router = new ModelRouter({
    hosts: hosts.map(({ installed: _i, ...h }) => h),
    breaker: { failureThreshold: 2, successThreshold: 2, halfOpenRequests: 1, cooldownMs: 10_000 },
    healthCheck: { enabled: false, intervalMs: 5_000, timeoutMs: 1_000, endpoint: '/api/version' },
    retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000, factor: 2, jitter: 0 },
    maxWaitMs: 120_000,
    createClient: (url) => clients.get(url)!,
    onEvent: (e) => events.push(e),
    random: () => 0,
    ...overrides,
  });
  for (const c of clients.values()) {
    c.observe = () => router.healthReport().find((h) => h.url === c.url)?.state;
  }
  return { router, clients, events };
}

const chat = (router: ModelRouter, chain: string[], signal?: AbortSignal) =>
  router.chat(chain, { messages: [{ role: 'user', content: 'hi' }] }, signal ? { signal } : {});

const refused = () => new TpError('ECONNREFUSED', { code: 'NETWORK', retryable: true });

describe('ModelRouter', () => {
  let s: Setup | undefined;
  beforeEach(() => vi.useFakeTimers());
  afterEach(async () => {
    await s?.router.stop();
    s = undefined;
    vi.useRealTimers();
  });

  it('routes a model to the host whose /api/tags lists it, accepting prefixed and untagged names', async () => {
    s = setup([
      { url: A, installed: ['mistral:latest'] },
      { url: B, installed: ['deepseek-coder:latest'] },
    ]);
    const r = await chat(s.router, ['ollama/deepseek-coder']);
    expect(r.hostUsed).toBe(B);
    expect(r.modelUsed).toBe('deepseek-coder');
    expect(r.result.content).toBe(`hello from ${B}`);
    expect(s.clients.get(A)!.count('chat')).toBe(0);
    expect(r.attempts).toEqual([
      expect.objectContaining({ model: 'deepseek-coder', host: B, ok: true, attemptNumber: 1 }),
    ]);
  });

  it('honours configured host models without asking /api/tags', async () => {
    s = setup([{ url: A, installed: ['x:latest'], models: ['ollama/x'] }]);
    await chat(s.router, ['x']);
    expect(s.clients.get(A)!.count('list')).toBe(0);
  });

  it('chooses among hosts by weight', async () => {
    s = setup(
      [
        { url: A, installed: ['m:latest'], weight: 1 },
        { url: B, installed: ['m:latest'], weight: 3 },
      ],
      { random: () => 0.5 },
    );
    expect((await chat(s.router, ['m'])).hostUsed).toBe(B);
    await s.router.stop();
    s = setup(
      [
        { url: A, installed: ['m:latest'], weight: 1 },
        { url: B, installed: ['m:latest'], weight: 3 },
      ],
      { random: () => 0.2 },
    );
    expect((await chat(s.router, ['m'])).hostUsed).toBe(A);
  });

  it('a model missing on every host is a permanent MODEL_NOT_FOUND naming `ollama pull`', async () => {
    s = setup([
      { url: A, installed: ['mistral:latest'] },
      { url: B, installed: ['llama3:latest'] },
    ]);
    const err = await chat(s.router, ['ollama/deepseek-coder']).catch((e: TpError) => e);
    expect(err).toMatchObject({ code: 'MODEL_NOT_FOUND', retryable: false });
    expect((err as TpError).hint).toContain('ollama pull deepseek-coder:latest');
    expect(s.clients.get(A)!.count('chat') + s.clients.get(B)!.count('chat')).toBe(0);
  });

  it('retries transient failures with backoff, then succeeds', async () => {
    s = setup([{ url: A, installed: ['m:latest'] }], {
      breaker: { failureThreshold: 5, successThreshold: 1, halfOpenRequests: 1, cooldownMs: 1_000 },
    });
    s.clients.get(A)!.chatFailures.push(refused(), refused());
    const done = chat(s.router, ['m']);
    await vi.runAllTimersAsync();
    const r = await done;
    expect(r.attempts.map((a) => [a.ok, a.code])).toEqual([
      [false, 'NETWORK'],
      [false, 'NETWORK'],
      [true, undefined],
    ]);
    const retries = s.events.filter((e) => e.type === 'model.retry');
    expect(retries.map((e) => (e.type === 'model.retry' ? e.delayMs : 0))).toEqual([100, 200]);
  });

  it('does not retry a permanent error; falls back to the next model and records both', async () => {
    s = setup([{ url: A, installed: ['a:latest', 'b:latest'] }]);
    s.clients
      .get(A)!
      .chatFailures.push(
        new TpError('does not support tools', { code: 'MODEL_BAD_REQUEST', retryable: false }),
      );
    const r = await chat(s.router, ['a', 'b']);
    expect(r.modelUsed).toBe('b');
    expect(s.clients.get(A)!.count('chat')).toBe(2);
    expect(r.attempts).toEqual([
      expect.objectContaining({
        model: 'a',
        ok: false,
        code: 'MODEL_BAD_REQUEST',
        errorType: 'permanent',
        attemptNumber: 1,
      }),
      expect.objectContaining({ model: 'b', ok: true, attemptNumber: 2 }),
    ]);
    expect(s.events).toContainEqual(expect.objectContaining({ type: 'model.fallback', from: 'a', to: 'b' }));
  });

  it('throws a TpError carrying every attempt when the whole chain fails', async () => {
    s = setup([{ url: A, installed: ['a:latest'] }]);
    s.clients.get(A)!.chatFailures.push(new TpError('bad', { code: 'MODEL_BAD_REQUEST', retryable: false }));
    const err2 = (await chat(s.router, ['a', 'missing']).catch((e) => e)) as TpError;
    // The model that really ran leads; the one no host has was left out without an attempt.
    expect(err2.code).toBe('MODEL_BAD_REQUEST');
    expect(err2.message).toBe('a: bad — other models: missing: skipped, not installed on any host');
    expect(err2.details.attempts).toEqual([
      expect.objectContaining({ model: 'a', code: 'MODEL_BAD_REQUEST' }),
    ]);
    expect(err2.details.skipped).toEqual([expect.objectContaining({ model: 'missing' })]);
  });

  it('uses a second host when the first one fails and opens', async () => {
    s = setup(
      [
        { url: A, installed: ['m:latest'] },
        { url: B, installed: ['m:latest'] },
      ],
      { breaker: { failureThreshold: 1, successThreshold: 1, halfOpenRequests: 1, cooldownMs: 60_000 } },
    );
    s.clients.get(A)!.up = false;
    // A's /api/tags fails too, so A stays a candidate with an unknown model list.
    const r = await chat(s.router, ['m']);
    expect(r.hostUsed).toBe(B);
    expect(s.router.healthReport().find((h) => h.url === A)!.state).toBe('OPEN');
    expect(s.events).toContainEqual(expect.objectContaining({ type: 'breaker.opened', host: A }));
  });

  it('while the only host is down a call waits, never sends to it while OPEN, and succeeds when it returns', async () => {
    s = setup([{ url: A, installed: ['m:latest'] }], {
      healthCheck: { enabled: true, intervalMs: 5_000, timeoutMs: 1_000, endpoint: '/api/version' },
    });
    const client = s.clients.get(A)!;
    s.router.start();
    await vi.advanceTimersByTimeAsync(0);
    client.up = false;
    let settled = false;
    const done = chat(s.router, ['m']).finally(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(s.router.healthReport()[0]!.state).toBe('OPEN');
    expect(s.router.waitingReason()).toMatch(/^all hosts for m are OPEN; next probe in \d+s$/);
    await vi.advanceTimersByTimeAsync(45_000);
    expect(settled).toBe(false);
    const upAt = Date.now();
    const halfOpensWhileDown = s.events.filter((e) => e.type === 'breaker.half_open').length;
    client.up = true;
    await vi.advanceTimersByTimeAsync(20_000);
    const r = await done;
    expect(r.result.content).toContain(A);
    expect(s.router.waitingReason()).toBeUndefined();
    expect(client.calls.filter((c) => c.observed === 'OPEN')).toEqual([]);
    // While down, exactly one probe per cool-down period reached the host (halfOpenRequests = 1).
    const probesWhileDown = client.calls.filter((c) => c.observed === 'HALF_OPEN' && c.at < upAt);
    expect(halfOpensWhileDown).toBeGreaterThanOrEqual(3);
    expect(probesWhileDown).toHaveLength(halfOpensWhileDown);
    const states = s.events.filter((e) => e.type.startsWith('breaker.')).map((e) => e.type);
    expect(states[0]).toBe('breaker.opened');
    expect(states.at(-1)).toBe('breaker.closed');
    expect(s.events).toContainEqual(expect.objectContaining({ type: 'model.waiting', model: 'm' }));
  });

  it('without health checks the waiting call makes the probes itself; outage failures cost no retries', async () => {
    s = setup([{ url: A, installed: ['m:latest'] }]);
    const client = s.clients.get(A)!;
    await chat(s.router, ['m']);
    client.up = false;
    const done = chat(s.router, ['m']);
    await vi.advanceTimersByTimeAsync(60_000);
    // Six cool-downs passed; with maxAttempts = 3 a counted retry per probe would have failed the call.
    expect(client.calls.filter((c) => c.observed === 'HALF_OPEN').length).toBeGreaterThanOrEqual(5);
    client.up = true;
    await vi.advanceTimersByTimeAsync(10_000);
    const r = await done;
    expect(r.result.content).toContain(A);
    expect(r.attempts.at(-1)).toMatchObject({ ok: true });
    expect(r.attempts.filter((a) => !a.ok).every((a) => a.code === 'NETWORK')).toBe(true);
    expect(client.calls.filter((c) => c.observed === 'OPEN')).toEqual([]);
  });

  it('run() is the pipeline AttemptRunner: failed attempts only, task id on the error', async () => {
    const global: string[] = [];
    s = setup([{ url: A, installed: ['a:latest', 'b:latest'] }], {
      onAttempt: (a, taskId) => global.push(`${taskId}:${a.model}:${a.ok}`),
    });
    const runner: AttemptRunner = s.router;
    const seen: number[] = [];
    s.clients.get(A)!.chatFailures.push(new TpError('bad', { code: 'MODEL_BAD_REQUEST', retryable: false }));
    const ok = await runner.run(
      ['a', 'b'],
      ({ model, host, signal }) => s!.clients.get(host)!.chat({ model, messages: [], signal }),
      { taskId: '7', signal: new AbortController().signal },
    );
    expect(ok).toMatchObject({ modelUsed: 'b', host: A });
    expect(ok.attempts).toEqual([
      {
        attemptNumber: 1,
        model: 'a',
        host: A,
        error: expect.stringContaining('bad'),
        code: 'MODEL_BAD_REQUEST',
        errorType: 'permanent',
        durationMs: 0,
      },
    ]);
    const err = (await s.router
      .run(['zzz'], async () => 'never', {
        taskId: '8',
        signal: new AbortController().signal,
        onAttempt: (a) => seen.push(a.attemptNumber),
      })
      .catch((e) => e)) as TpError;
    expect(err).toMatchObject({ code: 'MODEL_NOT_FOUND', taskId: '8' });
    // No host has zzz: it is left out of the chain, so no attempt is made or recorded.
    expect(err.details.attempts).toEqual([]);
    expect(seen).toEqual([]);
    expect(global).toEqual(['7:a:false', '7:b:true']);
  });

  it('gives up with a retryable CIRCUIT_OPEN after maxWaitMs', async () => {
    s = setup([{ url: A, installed: ['m:latest'] }], { maxWaitMs: 30_000 });
    s.clients.get(A)!.up = false;
    const done = chat(s.router, ['m']).catch((e) => e as TpError);
    await vi.advanceTimersByTimeAsync(31_000);
    const err = (await done) as TpError;
    expect(err).toMatchObject({ code: 'CIRCUIT_OPEN', retryable: true });
    expect(err.details.attempts?.length).toBeGreaterThan(0);
  });

  it('an abort ends the wait at once', async () => {
    s = setup([{ url: A, installed: ['m:latest'] }]);
    s.clients.get(A)!.up = false;
    const ctrl = new AbortController();
    const done = chat(s.router, ['m'], ctrl.signal).catch((e) => e as TpError);
    await vi.advanceTimersByTimeAsync(1_000);
    ctrl.abort();
    await vi.advanceTimersByTimeAsync(0);
    await expect(done).resolves.toMatchObject({ code: 'ABORTED' });
  });

  it('health checks open and close the breaker and fill the health report', async () => {
    s = setup([{ url: A, installed: ['m:latest'] }], {
      healthCheck: { enabled: true, intervalMs: 5_000, timeoutMs: 1_000, endpoint: '/api/tags' },
    });
    const client = s.clients.get(A)!;
    s.router.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(s.router.healthReport()[0]).toMatchObject({
      url: A,
      state: 'CLOSED',
      healthy: true,
      models: ['m:latest'],
    });
    client.up = false;
    await vi.advanceTimersByTimeAsync(10_000);
    const down = s.router.healthReport()[0]!;
    expect(down).toMatchObject({ state: 'OPEN', healthy: false, lastErrorCode: 'NETWORK' });
    expect(down.nextProbeInMs).toBeGreaterThan(0);
    const before = client.calls.length;
    await vi.advanceTimersByTimeAsync(9_000);
    expect(client.calls.length).toBe(before);
    client.up = true;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(s.router.healthReport()[0]).toMatchObject({ state: 'CLOSED', healthy: true });
    expect(s.events.map((e) => e.type)).toEqual([
      'host.healthy',
      'host.unhealthy',
      'breaker.opened',
      'breaker.half_open',
      'host.healthy',
      'breaker.closed',
    ]);
  });
});
