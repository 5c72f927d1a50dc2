import { afterEach, describe, expect, it } from 'vitest';
import {
  ModelRouter,
  type ModelRouterOptions,
  ModelWarmUp,
  type RouterEvent,
  type WarmedModel,
  type WarmUpOptions,
} from '../../../src/models/index.js';
import { type FakeOllama, startFakeOllama } from '../../fixtures/fake-ollama/index.js';

const QWEN = 'qwen2.5-coder:7b';
const LLAMA = 'llama3.1:8b';
const DEEPSEEK = 'deepseek-coder:latest';

const fakes: FakeOllama[] = [];
const routers: ModelRouter[] = [];
const warmers: ModelWarmUp[] = [];

afterEach(async () => {
  for (const w of warmers.splice(0)) await w.stop();
  for (const r of routers.splice(0)) await r.stop();
  for (const f of fakes.splice(0)) await f.close();
});

async function fake(models = [QWEN, LLAMA, DEEPSEEK], loadDelayMs = 50): Promise<FakeOllama> {
  const f = await startFakeOllama({ models: models.map((name) => ({ name })), loadDelayMs });
  fakes.push(f);
  return f;
}

function router(urls: string[], overrides: Partial<ModelRouterOptions> = {}): ModelRouter {
  const r = new ModelRouter({
    hosts: urls.map((url) => ({ url })),
    breaker: { failureThreshold: 1, successThreshold: 1, halfOpenRequests: 1, cooldownMs: 60_000 },
    healthCheck: { enabled: false, intervalMs: 100, timeoutMs: 500, endpoint: '/api/version' },
    retry: { maxAttempts: 1, baseDelayMs: 10, maxDelayMs: 10, factor: 2 },
    maxWaitMs: 0,
    client: { timeouts: { firstTokenMs: 5_000, idleMs: 5_000, totalMs: 10_000 }, requestTimeoutMs: 1_000 },
    ...overrides,
  });
  routers.push(r);
  return r;
}

function warmUp(r: ModelRouter, overrides: Partial<WarmUpOptions> = {}) {
  const warmed: WarmedModel[] = [];
  const w = new ModelWarmUp({
    enabled: true,
    maxModels: 2,
    keepAlive: '30m',
    hosts: () => r.hostClients(),
    neededModels: async () => [],
    defaultModel: QWEN,
    onWarmed: (e) => warmed.push(e),
    ...overrides,
  });
  warmers.push(w);
  return { w, warmed };
}

const ps = async (f: FakeOllama) =>
  ((await (await fetch(`${f.url}/api/ps`)).json()) as { models: Array<{ name: string; expires_at: string }> })
    .models;
const loads = (f: FakeOllama) =>
  f.requestsTo('/api/generate').map((q) => q.body as { model: string; prompt: string; keep_alive: unknown });

describe('model warm-up against the fake Ollama', () => {
  it('loads the most-needed models first, at most maxModels, with the configured keep_alive', async () => {
    const f = await fake();
    const { w, warmed } = warmUp(router([f.url]), {
      neededModels: async () => [LLAMA, QWEN, 'ollama/qwen2.5-coder:7b', DEEPSEEK, QWEN],
    });
    const result = await w.run();
    expect(result.map((e) => [e.model, e.ok])).toEqual([
      [QWEN, true],
      [LLAMA, true],
    ]);
    expect(warmed).toEqual(result);
    expect(loads(f)).toEqual([
      expect.objectContaining({ model: QWEN, prompt: '', keep_alive: '30m' }),
      expect.objectContaining({ model: LLAMA, prompt: '', keep_alive: '30m' }),
    ]);
    expect((await ps(f)).map((m) => m.name).sort()).toEqual([LLAMA, QWEN]);
    expect(f.requestsTo('/api/chat')).toHaveLength(0);
  });

  it('warms ollama.defaultModel when the queue is empty', async () => {
    const f = await fake();
    const { w } = warmUp(router([f.url]), { defaultModel: 'ollama/llama3.1:8b' });
    await w.run();
    expect((await ps(f)).map((m) => m.name)).toEqual([LLAMA]);
  });

  it('does nothing when disabled or with maxModels 0', async () => {
    const f = await fake();
    const r = router([f.url]);
    warmUp(r, { enabled: false }).w.trigger();
    warmUp(r, { maxModels: 0 }).w.trigger();
    for (const w of warmers) await w.idle();
    expect(f.requests.filter((q) => q.path === '/api/generate' || q.path === '/api/tags')).toEqual([]);
  });

  it('skips a host whose breaker is open and a host that does not serve the model', async () => {
    const a = await fake([QWEN]);
    const b = await fake([QWEN, LLAMA]);
    const c = await fake([LLAMA]);
    const r = router([a.url, b.url, c.url]);
    // Open b's breaker: a failed routed call (failureThreshold 1) while it is down.
    await b.setDown(true);
    await r.chat([LLAMA], { messages: [{ role: 'user', content: 'x' }] }).catch(() => undefined);
    await b.setDown(false);
    expect(r.healthReport().find((h) => h.url === b.url)?.state).toBe('OPEN');
    c.clearRequests();
    const { w } = warmUp(r, { neededModels: async () => [QWEN] });
    const result = await w.run();
    expect(result.map((e) => e.host)).toEqual([a.url]);
    expect(loads(b)).toEqual([]);
    expect(loads(c)).toEqual([]);
    expect((await ps(a)).map((m) => m.name)).toEqual([QWEN]);
  });

  it('reports a failed load as an event and goes on with the next model', async () => {
    const f = await fake();
    f.injectFault(
      { kind: 'status', status: 500, body: 'out of memory' },
      { times: 1, paths: ['/api/generate'] },
    );
    const { w, warmed } = warmUp(router([f.url]), { neededModels: async () => [QWEN, LLAMA] });
    await w.run();
    expect(warmed.map((e) => [e.model, e.ok])).toEqual([
      [QWEN, false],
      [LLAMA, true],
    ]);
    expect(warmed[0]?.error).toContain('out of memory');
  });

  it('gives up on a load that hangs (first-token timeout) and loads the next model', async () => {
    const f = await fake();
    f.injectFault({ kind: 'hang' }, { times: 1, paths: ['/api/generate'] });
    const r = router([f.url], {
      client: { timeouts: { firstTokenMs: 300, idleMs: 300, totalMs: 5_000 }, requestTimeoutMs: 1_000 },
    });
    const { w, warmed } = warmUp(r, { neededModels: async () => [QWEN, LLAMA] });
    await w.run();
    expect(warmed.map((e) => [e.model, e.ok])).toEqual([
      [QWEN, false],
      [LLAMA, true],
    ]);
    expect(warmed[0]?.error).toMatch(/no answer within 300 ms/);
  });

  it('warms a host again when its breaker closes', async () => {
    const f = await fake();
    const events: RouterEvent[] = [];
    let forward: ((e: RouterEvent) => void) | undefined;
    const r = router([f.url], {
      breaker: { failureThreshold: 1, successThreshold: 1, halfOpenRequests: 1, cooldownMs: 100 },
      healthCheck: { enabled: true, intervalMs: 50, timeoutMs: 500, endpoint: '/api/version' },
      onEvent: (e) => {
        events.push(e);
        forward?.(e);
      },
    });
    const { w, warmed } = warmUp(r, { neededModels: async () => [LLAMA] });
    forward = (e) => w.handleEvent(e);
    await f.setDown(true);
    r.start();
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (events.some((e) => e.type === 'breaker.opened')) {
          clearInterval(check);
          resolve();
        }
      }, 10);
    });
    expect(loads(f)).toEqual([]);
    await f.setDown(false);
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (warmed.length > 0) {
          clearInterval(check);
          resolve();
        }
      }, 10);
    });
    expect(events.map((e) => e.type)).toContain('breaker.closed');
    expect(warmed).toEqual([expect.objectContaining({ host: f.url, model: LLAMA, ok: true })]);
    expect((await ps(f)).map((m) => m.name)).toEqual([LLAMA]);
  });

  it('never blocks: trigger returns at once, and a chat runs while a load is still going on', async () => {
    const f = await fake([QWEN, LLAMA], 400);
    const r = router([f.url]);
    // LLAMA is resident; QWEN is cold and takes the load delay.
    await r.hostClients()[0]!.client.load!(LLAMA, '5m');
    const { w, warmed } = warmUp(r, { neededModels: async () => [QWEN] });
    const triggered = w.trigger();
    expect(triggered).toBeUndefined();
    const reply = await r.chat([LLAMA], { messages: [{ role: 'user', content: 'x' }] });
    expect(reply.modelUsed).toBe(LLAMA);
    expect(warmed).toEqual([]);
    await w.idle();
    expect(warmed).toEqual([expect.objectContaining({ model: QWEN, ok: true })]);
  });
});
