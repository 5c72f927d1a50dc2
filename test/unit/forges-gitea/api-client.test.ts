import { afterEach, describe, expect, it, vi } from 'vitest';
import { TpError } from '../../../src/errors/index.js';
import { apiRoot, GiteaApiClient } from '../../../src/forges/gitea/index.js';
import { redact } from '../../../src/secrets/index.js';

const TOKEN = 'unit-token-abcdef123456';

interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** A fetch that answers from a queue of canned responses and records every call. */
function scripted(...responses: (Response | Error)[]) {
  const calls: Call[] = [];
  const impl: typeof fetch = async (input, init) => {
    calls.push({
      url: String(input),
      method: init?.method ?? 'GET',
      headers: init?.headers as Record<string, string>,
      body: init?.body as string | undefined,
    });
    const next = responses.shift();
    if (!next) throw new Error('no scripted response left');
    if (next instanceof Error) throw next;
    return next;
  };
  return { impl, calls };
}

const jsonRes = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });

async function failure(p: Promise<unknown>): Promise<TpError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!TpError.isInstance(err)) throw new Error(`expected a TpError, got ${String(err)}`);
  return err;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('apiRoot and redact', () => {
  it('appends /api/v1 once, keeping a sub-path', () => {
    expect(apiRoot('https://git.example.com')).toBe('https://git.example.com/api/v1');
    expect(apiRoot('https://example.com/gitea/')).toBe('https://example.com/gitea/api/v1');
    expect(apiRoot('https://git.example.com/api/v1/')).toBe('https://git.example.com/api/v1');
  });

  it('replaces every occurrence of the secret', () => {
    expect(redact(`a ${TOKEN} b ${TOKEN}`, TOKEN)).toBe('a *** b ***');
    expect(redact('nothing here', '')).toBe('nothing here');
  });
});

describe('GiteaApiClient', () => {
  it('sends the token only in the Authorization header, JSON body, query params', async () => {
    const { impl, calls } = scripted(jsonRes(201, { number: 7 }));
    const client = new GiteaApiClient({ baseUrl: 'https://git.example.com/', token: TOKEN, fetch: impl });
    const res = await client.request<{ number: number }>('POST', '/repos/o/r/pulls', {
      query: { page: 2, skip: undefined },
      body: { title: 't' },
    });
    expect(res).toEqual({ status: 201, data: { number: 7 } });
    expect(calls[0]?.url).toBe('https://git.example.com/api/v1/repos/o/r/pulls?page=2');
    expect(calls[0]?.url).not.toContain(TOKEN);
    expect(calls[0]?.headers.Authorization).toBe(`token ${TOKEN}`);
    expect(calls[0]?.headers['Content-Type']).toBe('application/json');
    expect(calls[0]?.body).toBe('{"title":"t"}');
  });

  it.each([
    [401, 'FORGE_AUTH', false],
    [403, 'FORGE_AUTH', false],
    [404, 'FORGE_NOT_FOUND', false],
    [405, 'FORGE_CONFLICT', false],
    [409, 'FORGE_CONFLICT', false],
    [422, 'FORGE_CONFLICT', false],
    [400, 'FORGE_BAD_REQUEST', false],
  ] as const)('classifies %i as %s (retryable %s) without retrying', async (status, code, retryable) => {
    const { impl, calls } = scripted(jsonRes(status, { message: `server says ${TOKEN}` }));
    const client = new GiteaApiClient({ baseUrl: 'http://h', token: TOKEN, fetch: impl });
    const err = await failure(client.request('GET', '/repos/o/r'));
    expect(err.code).toBe(code);
    expect(err.retryable).toBe(retryable);
    expect(err.details.status).toBe(status);
    expect(err.message).toContain(`GET /api/v1/repos/o/r → ${status}`);
    expect(`${err.message}${JSON.stringify(err.details)}`).not.toContain(TOKEN);
    expect(calls).toHaveLength(1);
  });

  it('names the token scopes on 401/403', async () => {
    const { impl } = scripted(jsonRes(403, { message: 'token does not have required scope' }));
    const err = await failure(
      new GiteaApiClient({ baseUrl: 'http://h', token: TOKEN, fetch: impl }).request('GET', '/x'),
    );
    expect(err.hint).toMatch(/write:repository.*write:issue/);
  });

  it('retries 5xx with exponential backoff on fake timers, then gives up retryable', async () => {
    vi.useFakeTimers();
    const { impl, calls } = scripted(jsonRes(500, {}), jsonRes(502, {}), jsonRes(503, {}));
    const client = new GiteaApiClient({
      baseUrl: 'http://h',
      token: TOKEN,
      fetch: impl,
      retry: { maxRetries: 2, initialDelayMs: 1_000, maxDelayMs: 60_000 },
    });
    const pending = failure(client.request('GET', '/x'));
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    await vi.advanceTimersByTimeAsync(60_000);
    const err = await pending;
    expect(calls).toHaveLength(3);
    expect(err.code).toBe('SERVER_ERROR');
    expect(err.retryable).toBe(true);
  });

  it('waits at least Retry-After on 429 (capped by maxDelayMs)', async () => {
    vi.useFakeTimers();
    const { impl, calls } = scripted(
      jsonRes(429, { message: 'slow down' }, { 'Retry-After': '5' }),
      jsonRes(200, { ok: 1 }),
    );
    const client = new GiteaApiClient({
      baseUrl: 'http://h',
      token: TOKEN,
      fetch: impl,
      retry: { maxRetries: 1, initialDelayMs: 10, maxDelayMs: 30_000 },
    });
    const pending = client.request('GET', '/x');
    await vi.advanceTimersByTimeAsync(4_000);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(calls).toHaveLength(2);
    expect((await pending).data).toEqual({ ok: 1 });
  });

  it('treats connection errors as retryable NETWORK and keeps the token out', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error(`connect ECONNREFUSED (${TOKEN})`), { code: 'ECONNREFUSED' }),
    });
    const { impl, calls } = scripted(refused, jsonRes(200, { id: 1 }));
    const client = new GiteaApiClient({
      baseUrl: 'http://h',
      token: TOKEN,
      fetch: impl,
      retry: { initialDelayMs: 1 },
    });
    expect((await client.request('GET', '/x')).data).toEqual({ id: 1 });
    expect(calls).toHaveLength(2);

    const down = scripted(refused);
    const err = await failure(
      new GiteaApiClient({
        baseUrl: 'http://h',
        token: TOKEN,
        fetch: down.impl,
        retry: { maxRetries: 0 },
      }).request('GET', '/x'),
    );
    expect(err.code).toBe('NETWORK');
    expect(err.retryable).toBe(true);
    expect(err.hint).toContain('GITEA_URL');
  });

  it('retries the 405 "Please try again later" Gitea sends while it checks mergeability', async () => {
    const { impl, calls } = scripted(
      jsonRes(405, { message: 'Please try again later' }),
      new Response(null, { status: 200 }),
    );
    const client = new GiteaApiClient({
      baseUrl: 'http://h',
      token: TOKEN,
      fetch: impl,
      retry: { initialDelayMs: 1 },
    });
    expect((await client.request('POST', '/repos/o/r/pulls/1/merge', { body: { Do: 'merge' } })).status).toBe(
      200,
    );
    expect(calls).toHaveLength(2);
  });

  it('does not retry once the caller has aborted', async () => {
    const controller = new AbortController();
    const impl: typeof fetch = async () => {
      controller.abort();
      throw Object.assign(new Error('aborted'), { name: 'AbortError' });
    };
    const err = await failure(
      new GiteaApiClient({
        baseUrl: 'http://h',
        token: TOKEN,
        fetch: impl,
        retry: { initialDelayMs: 1 },
      }).request('GET', '/x', { signal: controller.signal }),
    );
    expect(err.code).toBe('ABORTED');
    expect(err.retryable).toBe(false);
  });

  it('a non-JSON success body (a proxy login page) is a clear retryable error', async () => {
    const { impl } = scripted(new Response('<html>login</html>', { status: 200 }));
    const err = await failure(
      new GiteaApiClient({
        baseUrl: 'http://h',
        token: TOKEN,
        fetch: impl,
        retry: { maxRetries: 0 },
      }).request('GET', '/x'),
    );
    expect(err.code).toBe('FORGE_UNAVAILABLE');
  });

  it('stops retrying when the caller aborts', async () => {
    const controller = new AbortController();
    const { impl, calls } = scripted(jsonRes(503, {}), jsonRes(503, {}), jsonRes(503, {}));
    const client = new GiteaApiClient({
      baseUrl: 'http://h',
      token: TOKEN,
      fetch: impl,
      retry: { maxRetries: 2, initialDelayMs: 50 },
    });
    const pending = client.request('GET', '/x', { signal: controller.signal }).catch((e: unknown) => e);
    controller.abort();
    await pending;
    expect(calls.length).toBeLessThan(3);
  });
});
