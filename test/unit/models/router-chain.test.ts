import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TpError } from '../../../src/errors/index.js';
import {
  type HostConfig,
  ModelRouter,
  type ModelRouterOptions,
  type RouterEvent,
} from '../../../src/models/index.js';
import { ScriptedClient } from './scripted-client.js';

/*
 * The chain as a whole: models no healthy host has are left out (one event, no attempt), and
 * when every model fails, the error reports the first failure that ran on a host for a reason
 * of its own, not the last "not installed" in the list.
 */

const A = 'http://a:11434';
const B = 'http://b:11434';

function setup(
  hosts: Array<HostConfig & { installed: string[] }>,
  overrides: Partial<ModelRouterOptions> = {},
) {
  const clients = new Map(hosts.map((h) => [h.url, new ScriptedClient(h.url, h.installed)]));
  const events: RouterEvent[] = [];
  const router = new ModelRouter({
    hosts: hosts.map(({ installed: _i, ...h }) => h),
    breaker: { failureThreshold: 1, successThreshold: 1, halfOpenRequests: 1, cooldownMs: 60_000 },
    healthCheck: { enabled: false, intervalMs: 5_000, timeoutMs: 1_000, endpoint: '/api/version' },
    retry: { maxAttempts: 2, baseDelayMs: 100, maxDelayMs: 1_000, factor: 2, jitter: 0 },
    maxWaitMs: 5_000,
    createClient: (url) => clients.get(url)!,
    onEvent: (e) => events.push(e),
    random: () => 0,
    ...overrides,
  });
  return { router, clients, events };
}

const noChange = (model: string) =>
  new TpError(`Agent made no changes (no-change: ${model} replied something not understood).`, {
    code: 'AGENT_NO_CHANGES',
    retryable: false,
    details: { outputTail: `tail of ${model}` },
  });

describe('ModelRouter chain: skipping and reporting', () => {
  let s: ReturnType<typeof setup> | undefined;
  beforeEach(() => vi.useFakeTimers());
  afterEach(async () => {
    await s?.router.stop();
    s = undefined;
    vi.useRealTimers();
  });

  it('leaves out a model no host lists: one model.skipped event, no attempt, no chat', async () => {
    s = setup([
      { url: A, installed: ['a:latest'] },
      { url: B, installed: ['b:latest'] },
    ]);
    const r = await s.router.chat(['llama2', 'ollama/b'], { messages: [] });
    expect(r.modelUsed).toBe('b');
    expect(r.attempts).toEqual([expect.objectContaining({ model: 'b', ok: true, attemptNumber: 1 })]);
    const skipped = s.events.filter((e) => e.type === 'model.skipped');
    expect(skipped).toEqual([
      {
        type: 'model.skipped',
        model: 'llama2',
        reason: `not installed on any host (${A}: a:latest; ${B}: b:latest)`,
      },
    ]);
    expect(s.events.some((e) => e.type === 'model.fallback')).toBe(false);
    expect(s.clients.get(A)!.count('chat') + s.clients.get(B)!.count('chat')).toBe(1);
  });

  it('keeps a model while a host is unreachable (its list is unknown)', async () => {
    s = setup(
      [
        { url: A, installed: ['a:latest'] },
        { url: B, installed: ['x:latest'] },
      ],
      { maxWaitMs: 1_000 },
    );
    s.clients.get(B)!.up = false;
    const done = s.router.chat(['x', 'a'], { messages: [] });
    await vi.advanceTimersByTimeAsync(2_000);
    const r = await done;
    expect(s.events.some((e) => e.type === 'model.skipped')).toBe(false);
    expect(r.attempts.map((a) => [a.model, a.code ?? 'ok'])).toEqual([
      ['x', 'CIRCUIT_OPEN'],
      ['a', 'ok'],
    ]);
  });

  it('a list older than the TTL is read again before deciding', async () => {
    s = setup([{ url: A, installed: ['a:latest'] }], { modelsTtlMs: 10_000 });
    await s.router.chat(['a'], { messages: [] });
    s.clients.get(A)!.models.push('new:latest');
    vi.advanceTimersByTime(10_001);
    const r = await s.router.chat(['new', 'a'], { messages: [] });
    expect(r.modelUsed).toBe('new');
    expect(s.clients.get(A)!.count('list')).toBe(2);
  });

  it('a whole chain that is skipped fails with MODEL_NOT_FOUND naming the models, the lists and the pull', async () => {
    s = setup([
      { url: A, installed: ['a:latest'] },
      { url: B, installed: [] },
    ]);
    const err = (await s.router
      .chat(['ollama/llama2', 'mistral:7b'], { messages: [] })
      .catch((e) => e)) as TpError;
    expect(err).toMatchObject({ code: 'MODEL_NOT_FOUND', retryable: false });
    expect(err.message).toBe(
      `None of the models llama2:latest, mistral:7b is installed on an Ollama host (${A}: a:latest; ${B}: no models)`,
    );
    expect(err.hint).toContain('`ollama pull llama2:latest`');
    expect(err.details).toMatchObject({
      attempts: [],
      models: ['llama2', 'mistral:7b'],
      hosts: { [A]: ['a:latest'], [B]: [] },
    });
    expect(s.clients.get(A)!.count('chat')).toBe(0);
    expect(s.events.filter((e) => e.type === 'model.skipped')).toHaveLength(2);
  });

  it('reports the first real failure, not the missing models after it', async () => {
    s = setup([{ url: A, installed: ['small:latest'] }]);
    const err = (await s.router
      .runWithFallback(['small', 'llama2', 'mistral'], async ({ model }) => {
        throw noChange(model);
      })
      .catch((e) => e)) as TpError;
    expect(err).toMatchObject({ code: 'AGENT_NO_CHANGES', retryable: false });
    expect(err.message).toMatch(
      /^small: Agent made no changes \(no-change: small replied something not understood\)/,
    );
    expect(err.message).toContain('llama2: skipped, not installed on any host');
    expect(err.message).not.toMatch(/ollama pull/);
    expect(err.hint).toBeUndefined();
    expect(err.details).toMatchObject({
      outputTail: 'tail of small',
      attempts: [expect.objectContaining({ model: 'small', code: 'AGENT_NO_CHANGES', host: A })],
      skipped: [expect.objectContaining({ model: 'llama2' }), expect.objectContaining({ model: 'mistral' })],
    });
  });

  it('among several real failures the first one leads; the others are in the message and attempts', async () => {
    s = setup([{ url: A, installed: ['a:latest', 'b:latest'] }]);
    s.clients.get(A)!.chatFailures.push(
      new TpError('a cannot use tools', {
        code: 'MODEL_BAD_REQUEST',
        retryable: false,
        hint: 'use text mode',
      }),
    );
    const err = (await s.router
      .runWithFallback(['a', 'b'], async ({ client, model }) => {
        await client.chat({ model, messages: [] });
        throw noChange(model);
      })
      .catch((e) => e)) as TpError;
    expect(err).toMatchObject({ code: 'MODEL_BAD_REQUEST', hint: 'use text mode' });
    expect(err.message).toMatch(/^a: a cannot use tools — other models: b: Agent made no changes/);
    expect(err.details.attempts?.map((a) => a.model)).toEqual(['a', 'b']);
  });

  it('a 404 from a host that listed the model does not lead when a later model really ran', async () => {
    s = setup([{ url: A, installed: ['gone:latest', 'b:latest'] }]);
    s.clients
      .get(A)!
      .chatFailures.push(new TpError('model gone not found', { code: 'MODEL_NOT_FOUND', retryable: false }));
    const err = (await s.router
      .runWithFallback(['gone', 'b'], async ({ client, model }) => {
        await client.chat({ model, messages: [] });
        throw noChange(model);
      })
      .catch((e) => e)) as TpError;
    expect(err.code).toBe('AGENT_NO_CHANGES');
    expect(err.message).toMatch(/^b: Agent made no changes/);
    expect(err.message).toContain('gone: model gone not found');
  });

  it('MODEL_NOT_FOUND with the pull hint only when every tried model was missing', async () => {
    s = setup([{ url: A, installed: ['gone:latest'] }]);
    s.clients
      .get(A)!
      .chatFailures.push(new TpError('model gone not found', { code: 'MODEL_NOT_FOUND', retryable: false }));
    const err = (await s.router.chat(['gone', 'never'], { messages: [] }).catch((e) => e)) as TpError;
    expect(err).toMatchObject({ code: 'MODEL_NOT_FOUND', retryable: false });
    expect(err.hint).toContain('ollama pull gone:latest');
  });

  it('run() (the pipeline runner) keeps the lead failure, its details and the skipped models', async () => {
    s = setup([{ url: A, installed: ['small:latest'] }]);
    const err = (await s.router
      .run(['small', 'llama2'], async ({ model }) => Promise.reject(noChange(model)), {
        taskId: '9',
        signal: new AbortController().signal,
      })
      .catch((e) => e)) as TpError;
    expect(err).toMatchObject({ code: 'AGENT_NO_CHANGES', taskId: '9' });
    expect(err.details.outputTail).toBe('tail of small');
    expect(err.details.attempts).toEqual([
      expect.objectContaining({ model: 'small', code: 'AGENT_NO_CHANGES', host: A }),
    ]);
  });
});
