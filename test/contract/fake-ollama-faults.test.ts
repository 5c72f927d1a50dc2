import { type ChatResponse, Ollama } from 'ollama';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeOllama, startFakeOllama } from '../fixtures/fake-ollama/index.js';

// Each injected fault must reach the official client the way the real server's failure would.

let fake: FakeOllama;
let client: Ollama;
const MODEL = 'qwen2.5-coder:7b';
const ask = { model: MODEL, messages: [{ role: 'user', content: 'hi' }] };

beforeEach(async () => {
  fake = await startFakeOllama();
  client = new Ollama({ host: fake.url });
});

afterEach(async () => {
  await fake.close();
});

/** Iterates a stream, keeping what arrived before a failure. */
async function drain(stream: AsyncIterable<ChatResponse>) {
  const parts: ChatResponse[] = [];
  try {
    for await (const p of stream) parts.push(p);
    return { parts, error: undefined };
  } catch (error) {
    return { parts, error: error as Error };
  }
}

const causeCode = (err: unknown): unknown => (err as { cause?: { code?: unknown } }).cause?.code;

describe('HTTP status faults', () => {
  it('surface as ResponseError with status_code and the error message, for `times` requests', async () => {
    fake.injectFault({ kind: 'status', status: 500 }, { times: 1 });
    const err = await client.chat(ask).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ResponseError', status_code: 500, error: 'internal server error' });
    await expect(client.chat(ask)).resolves.toMatchObject({ done: true });
  });

  it('use the given body as the message (503 model loading) and stay until cleared', async () => {
    fake.injectFault({ kind: 'status', status: 503, body: 'model is loading' });
    for (let i = 0; i < 2; i++) {
      await expect(client.chat(ask)).rejects.toMatchObject({ status_code: 503, error: 'model is loading' });
    }
    fake.clearFaults();
    await expect(client.chat(ask)).resolves.toMatchObject({ done: true });
  });

  it('respect the paths filter', async () => {
    fake.injectFault({ kind: 'status', status: 429 }, { paths: ['/api/chat'] });
    await expect(client.list()).resolves.toHaveProperty('models');
    await expect(client.chat(ask)).rejects.toMatchObject({ status_code: 429 });
  });

  it('pass a JSON body through unchanged', async () => {
    fake.injectFault({ kind: 'status', status: 400, body: '{"error":"invalid options"}' }, { times: 1 });
    await expect(client.chat(ask)).rejects.toMatchObject({ status_code: 400, error: 'invalid options' });
  });
});

describe('model-not-found', () => {
  it('answers 404 for the filtered model only', async () => {
    fake.injectFault({ kind: 'model-not-found' }, { model: 'deepseek-coder' });
    const err = await client.chat({ ...ask, model: 'deepseek-coder:latest' }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      status_code: 404,
      error: 'model "deepseek-coder:latest" not found, try pulling it first',
    });
    await expect(client.chat(ask)).resolves.toMatchObject({ done: true });
    await expect(client.list()).resolves.toHaveProperty('models');
  });
});

describe('timing faults', () => {
  it('slow-first-token delays the response', async () => {
    fake.injectFault({ kind: 'slow-first-token', delayMs: 300 }, { times: 1 });
    const t0 = Date.now();
    await client.chat(ask);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    const t1 = Date.now();
    await client.chat(ask);
    expect(Date.now() - t1).toBeLessThan(280);
  });

  it('slow-stream spaces the chunks', async () => {
    fake.enqueueReply('*', { content: 'one two three' });
    fake.injectFault({ kind: 'slow-stream', chunkDelayMs: 100 }, { times: 1 });
    const stamps: number[] = [];
    for await (const _ of await client.chat({ ...ask, stream: true })) stamps.push(Date.now());
    expect(stamps).toHaveLength(4);
    expect(stamps.at(-1)! - stamps[0]!).toBeGreaterThanOrEqual(280);
  });

  it('hang never answers; a client timeout fires and the server still closes promptly', async () => {
    fake.injectFault({ kind: 'hang' }, { times: 1 });
    const timed = new Ollama({
      host: fake.url,
      fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(300) }),
    });
    const err = await timed.chat(ask).catch((e: unknown) => e);
    expect((err as Error).name).toBe('TimeoutError');
    expect(fake.requestsTo('/api/chat')).toHaveLength(1);
    // A hang still pending on another connection must not block close().
    fake.injectFault({ kind: 'hang' }, { times: 1 });
    const pending = client.chat(ask).catch((e: unknown) => e);
    while (fake.requestsTo('/api/chat').length < 2) await new Promise((r) => setTimeout(r, 10));
    const t0 = Date.now();
    await fake.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await pending).toBeInstanceOf(Error);
  });
});

describe('stream faults', () => {
  it('cut-stream ends the stream with an error after N chunks', async () => {
    fake.enqueueReply('*', { content: 'alpha beta gamma delta epsilon' });
    fake.injectFault({ kind: 'cut-stream', afterChunks: 2 }, { times: 1 });
    const { parts, error } = await drain(await client.chat({ ...ask, stream: true }));
    expect(parts.map((p) => p.message.content)).toEqual(['alpha ', 'beta ']);
    expect(error).toBeInstanceOf(Error);
    expect(parts.some((p) => p.done)).toBe(false);
  });

  it('cut-stream on a non-streaming request fails the call', async () => {
    fake.injectFault({ kind: 'cut-stream', afterChunks: 0 }, { times: 1 });
    await expect(client.chat(ask)).rejects.toThrow();
  });

  it('error-in-stream delivers an in-band error line the client throws', async () => {
    fake.enqueueReply('*', { content: 'alpha beta gamma' });
    fake.injectFault({ kind: 'error-in-stream', afterChunks: 1, message: 'out of memory' }, { times: 1 });
    const { parts, error } = await drain(await client.chat({ ...ask, stream: true }));
    expect(parts).toHaveLength(1);
    expect(error?.message).toBe('out of memory');
  });

  it('malformed-tool-call sends arguments that are not an object', async () => {
    fake.enqueueReply('*', { toolCalls: [{ name: 'write_file', arguments: { path: 'a' } }] });
    fake.injectFault({ kind: 'malformed-tool-call' }, { times: 1 });
    const res = await client.chat({ ...ask, tools: [] });
    const call = res.message.tool_calls?.[0];
    expect(call?.function.name).toBe('write_file');
    expect(typeof call?.function.arguments).toBe('string');
    expect(() => JSON.parse(call?.function.arguments as unknown as string)).toThrow();
  });
});

describe('setDown', () => {
  it('refuses connections while down and serves again on the same port', async () => {
    await fake.setDown(true);
    const err = await client.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect(causeCode(err)).toBe('ECONNREFUSED');
    await fake.setDown(false);
    await expect(client.list()).resolves.toHaveProperty('models');
    expect(new URL(fake.url).port).toBe(String(fake.port));
  });

  it('drops connections that are open when it goes down', async () => {
    fake.enqueueReply('*', { content: 'a b c d e f g h' });
    fake.injectFault({ kind: 'slow-stream', chunkDelayMs: 100 }, { times: 1 });
    const stream = await client.chat({ ...ask, stream: true });
    const drained = drain(stream);
    await new Promise((r) => setTimeout(r, 150));
    await fake.setDown(true);
    const { parts, error } = await drained;
    expect(error).toBeInstanceOf(Error);
    expect(parts.length).toBeLessThan(9);
    expect(parts.some((p) => p.done)).toBe(false);
  });
});
