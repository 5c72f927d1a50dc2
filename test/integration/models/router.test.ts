import { afterEach, describe, expect, it } from 'vitest';
import type { TpError } from '../../../src/errors/index.js';
import {
  type BreakerState,
  ModelRouter,
  type ModelRouterOptions,
  type RouterEvent,
} from '../../../src/models/index.js';
import { type FakeOllama, startFakeOllama } from '../../fixtures/fake-ollama/index.js';

/** A request as it left our process, with the breaker state of its host at that moment. */
interface Sent {
  host: string;
  path: string;
  state: BreakerState | undefined;
}

interface Rig {
  router: ModelRouter;
  events: RouterEvent[];
  sent: Sent[];
}

const started: Array<{ close(): Promise<void> }> = [];
const routers: ModelRouter[] = [];

async function fakeHost(models?: string[]): Promise<FakeOllama> {
  const f = await startFakeOllama(
    models ? { models: models.map((name) => ({ name, capabilities: ['completion', 'tools'] })) } : {},
  );
  started.push(f);
  return f;
}

function rig(hosts: string[], overrides: Partial<ModelRouterOptions> = {}): Rig {
  const events: RouterEvent[] = [];
  const sent: Sent[] = [];
  let router: ModelRouter | undefined;
  // Counts what leaves the process: requests a dead host would receive if it were listening.
  const countingFetch: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const host = `${url.protocol}//${url.host}`;
    sent.push({ host, path: url.pathname, state: router?.healthReport().find((h) => h.url === host)?.state });
    return fetch(input, init);
  };
  router = new ModelRouter({
    hosts: hosts.map((url) => ({ url })),
    breaker: { failureThreshold: 2, successThreshold: 2, halfOpenRequests: 1, cooldownMs: 300 },
    healthCheck: { enabled: false, intervalMs: 200, timeoutMs: 500, endpoint: '/api/version' },
    retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 200, factor: 2 },
    maxWaitMs: 20_000,
    client: {
      fetch: countingFetch,
      timeouts: { firstTokenMs: 1_000, idleMs: 1_000, totalMs: 5_000 },
      requestTimeoutMs: 1_000,
    },
    onEvent: (e) => events.push(e),
    ...overrides,
  });
  routers.push(router);
  return { router, events, sent };
}

const messages = [{ role: 'user' as const, content: 'hello' }];
const _chatPaths = (sent: Sent[], host: string) =>
  sent.filter((s) => s.host === host && s.path === '/api/chat');

afterEach(async () => {
  for (const r of routers.splice(0)) await r.stop();
  for (const f of started.splice(0)) await f.close();
});

describe('ModelRouter against fake Ollama hosts', () => {
  it('retries 500s with backoff and succeeds on the same model', async () => {
    const h = await fakeHost();
    const { router, events } = rig([h.url], {
      breaker: { failureThreshold: 5, successThreshold: 1, halfOpenRequests: 1, cooldownMs: 300 },
    });
    h.injectFault({ kind: 'status', status: 500 }, { times: 2, paths: ['/api/chat'] });
    const r = await router.chat(['qwen2.5-coder:7b'], { messages });
    expect(r.modelUsed).toBe('qwen2.5-coder:7b');
    expect(h.requestsTo('/api/chat')).toHaveLength(3);
    expect(r.attempts.map((a) => a.code ?? 'ok')).toEqual(['SERVER_ERROR', 'SERVER_ERROR', 'ok']);
    expect(events.filter((e) => e.type === 'model.retry')).toHaveLength(2);
  });

  it('retries a stream cut mid-reply and a slow first token', async () => {
    const h = await fakeHost();
    const { router } = rig([h.url], {
      breaker: { failureThreshold: 5, successThreshold: 1, halfOpenRequests: 1, cooldownMs: 300 },
    });
    h.injectFault({ kind: 'cut-stream', afterChunks: 1 }, { times: 1 });
    h.injectFault({ kind: 'slow-first-token', delayMs: 3_000 }, { times: 1, paths: ['/api/chat'] });
    // The slow attempt is aborted before the fake takes a reply from the queue.
    h.enqueueReply('*', { content: 'first try, cut' });
    h.enqueueReply('*', { content: 'third try works' });
    const r = await router.chat(['qwen2.5-coder:7b'], { messages });
    expect(r.attempts.map((a) => a.code ?? 'ok')).toEqual(['STREAM_CUT', 'TIMEOUT', 'ok']);
    expect(r.result.content).toBe('third try works');
  });

  it('does not retry a permanent error and falls back to the second model', async () => {
    const h = await fakeHost();
    const { router, events } = rig([h.url]);
    h.injectFault(
      { kind: 'status', status: 400, body: 'invalid options' },
      { paths: ['/api/chat'], model: 'qwen2.5-coder:7b' },
    );
    const r = await router.chat(['ollama/qwen2.5-coder:7b', 'ollama/deepseek-coder'], { messages });
    expect(r.modelUsed).toBe('deepseek-coder');
    const perModel = h.requestsTo('/api/chat').map((q) => (q.body as { model: string }).model);
    expect(perModel).toEqual(['qwen2.5-coder:7b', 'deepseek-coder']);
    expect(r.attempts[0]).toMatchObject({
      model: 'qwen2.5-coder:7b',
      code: 'MODEL_BAD_REQUEST',
      errorType: 'permanent',
    });
    expect(events).toContainEqual(expect.objectContaining({ type: 'model.fallback', to: 'deepseek-coder' }));
  });

  it('a model missing everywhere falls through to the next without any chat request', async () => {
    const h = await fakeHost();
    const { router, events } = rig([h.url]);
    const r = await router.chat(['starcoder2', 'deepseek-coder'], { messages });
    expect(r.modelUsed).toBe('deepseek-coder');
    // Left out of the chain: one model.skipped event, no attempt.
    expect(r.attempts).toEqual([expect.objectContaining({ model: 'deepseek-coder', ok: true })]);
    expect(events).toContainEqual(expect.objectContaining({ type: 'model.skipped', model: 'starcoder2' }));
    expect(h.requestsTo('/api/chat')).toHaveLength(1);
  });

  it('404 from /api/chat (model removed after listing) is permanent and falls back', async () => {
    const h = await fakeHost();
    const { router } = rig([h.url]);
    h.injectFault(
      { kind: 'model-not-found' },
      { paths: ['/api/chat', '/api/show'], model: 'qwen2.5-coder:7b' },
    );
    const r = await router.chat(['qwen2.5-coder:7b', 'llama3.1:8b'], { messages });
    expect(r.modelUsed).toBe('llama3.1:8b');
    expect(r.attempts[0]).toMatchObject({ code: 'MODEL_NOT_FOUND', errorType: 'permanent' });
  });

  it('falls back to a second host when the first is down', async () => {
    const a = await fakeHost();
    const b = await fakeHost();
    const { router, sent } = rig([a.url, b.url], { random: () => 0 });
    await a.setDown(true);
    const r = await router.chat(['qwen2.5-coder:7b'], { messages });
    expect(r.hostUsed).toBe(b.url);
    // With a's tags unreadable a stays a candidate; its failures open its breaker.
    const r2 = await router.chat(['qwen2.5-coder:7b'], { messages });
    expect(r2.hostUsed).toBe(b.url);
    expect(router.healthReport().find((h) => h.url === a.url)?.state).toBe('OPEN');
    expect(sent.filter((s) => s.host === a.url && s.state === 'OPEN')).toEqual([]);
  });

  it('while the only host is down a call waits and succeeds when it returns; nothing is sent while OPEN', async () => {
    const h = await fakeHost();
    const { router, events, sent } = rig([h.url], {
      healthCheck: { enabled: true, intervalMs: 200, timeoutMs: 500, endpoint: '/api/version' },
    });
    router.start();
    await router.checkHealth();
    await h.setDown(true);
    let done = false;
    const call = router.chat(['qwen2.5-coder:7b'], { messages }).finally(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(done).toBe(false);
    expect(router.waitingReason()).toMatch(/qwen2.5-coder:7b/);
    const halfOpensWhileDown = events.filter((e) => e.type === 'breaker.half_open').length;
    const probesWhileDown = sent.filter((s) => s.state === 'HALF_OPEN').length;
    await h.setDown(false);
    const r = await call;
    expect(r.result.content.length).toBeGreaterThan(0);
    expect(sent.filter((s) => s.state === 'OPEN')).toEqual([]);
    expect(halfOpensWhileDown).toBeGreaterThanOrEqual(3);
    // While down, each HALF_OPEN period let exactly halfOpenRequests (1) probe out, which failed.
    expect(probesWhileDown).toBeLessThanOrEqual(halfOpensWhileDown);
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['breaker.opened', 'breaker.closed', 'model.waiting']),
    );
  });

  it('a host answering 500 to everything gets no requests while OPEN (only probes)', async () => {
    const h = await fakeHost();
    const { router, events } = rig([h.url], {
      healthCheck: { enabled: true, intervalMs: 100, timeoutMs: 500, endpoint: '/api/version' },
      maxWaitMs: 1_500,
    });
    router.start();
    await router.checkHealth();
    h.clearRequests();
    h.injectFault({ kind: 'status', status: 500 });
    const e = (await router.chat(['qwen2.5-coder:7b'], { messages }).catch((x) => x)) as TpError;
    expect(e).toMatchObject({ code: 'CIRCUIT_OPEN', retryable: true });
    const opened = events.filter((x) => x.type === 'breaker.opened').length;
    const halfOpens = events.filter((x) => x.type === 'breaker.half_open').length;
    // failureThreshold requests to open it the first time, then one probe per HALF_OPEN period.
    expect(h.requests.length).toBeLessThanOrEqual(2 + halfOpens + 1);
    expect(opened).toBe(halfOpens + 1);
  });

  it('survives a flapping host: every call succeeds and no request is sent while OPEN', async () => {
    const h = await fakeHost();
    const { router, sent, events } = rig([h.url], {
      healthCheck: { enabled: true, intervalMs: 100, timeoutMs: 300, endpoint: '/api/version' },
      breaker: { failureThreshold: 2, successThreshold: 1, halfOpenRequests: 1, cooldownMs: 150 },
    });
    router.start();
    let stop = false;
    const flapper = (async () => {
      let down = false;
      while (!stop) {
        await new Promise((r) => setTimeout(r, 250));
        down = !down;
        await h.setDown(down);
      }
      await h.setDown(false);
    })();
    const results: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await router.chat(['qwen2.5-coder:7b'], { messages });
      results.push(r.modelUsed);
      await new Promise((res) => setTimeout(res, 60));
    }
    stop = true;
    await flapper;
    expect(results).toHaveLength(8);
    expect(sent.filter((s) => s.state === 'OPEN')).toEqual([]);
    expect(events.some((e) => e.type === 'breaker.opened')).toBe(true);
  });

  it('health report lists state, latency, models and the last error per host', async () => {
    const a = await fakeHost(['mistral:7b']);
    const b = await fakeHost();
    await b.setDown(true);
    const { router } = rig([a.url, b.url], {
      healthCheck: { enabled: true, intervalMs: 60_000, timeoutMs: 500, endpoint: '/api/tags' },
    });
    await router.checkHealth();
    await router.checkHealth();
    const [ra, rb] = router.healthReport();
    expect(ra).toMatchObject({ url: a.url, state: 'CLOSED', healthy: true, models: ['mistral:7b'] });
    expect(ra!.latencyMs).toBeGreaterThanOrEqual(0);
    expect(ra!.lastCheckedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(rb).toMatchObject({ url: b.url, state: 'OPEN', healthy: false, lastErrorCode: 'NETWORK' });
    expect(rb!.lastError).toContain(b.url);
  });

  it('a health probe that gets no answer fails as TIMEOUT after healthCheck.timeout', async () => {
    const h = await fakeHost();
    const { router, events } = rig([h.url], {
      healthCheck: { enabled: true, intervalMs: 60_000, timeoutMs: 150, endpoint: '/api/version' },
    });
    h.injectFault({ kind: 'hang' }, { paths: ['/api/version'] });
    const t0 = Date.now();
    await router.checkHealth();
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(router.healthReport()[0]).toMatchObject({
      healthy: false,
      lastErrorCode: 'TIMEOUT',
      state: 'CLOSED',
    });
    await router.checkHealth();
    expect(router.healthReport()[0]!.state).toBe('OPEN');
    expect(events).toContainEqual(expect.objectContaining({ type: 'host.unhealthy', code: 'TIMEOUT' }));
  });
});
