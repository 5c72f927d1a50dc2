import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TpError } from '../../../src/errors/index.js';
import { type ChatRequest, OllamaModelClient } from '../../../src/models/index.js';
import { type FakeOllama, startFakeOllama } from '../../fixtures/fake-ollama/index.js';

let fake: FakeOllama;
let client: OllamaModelClient;

const hello: ChatRequest['messages'] = [{ role: 'user', content: 'say hello' }];
const fail = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: TpError) => e,
  );
/** The part of a chat request body the assertions read. */
type ChatBody = Record<string, unknown> & { options: Record<string, unknown> };
const chatBody = () => fake.requestsTo('/api/chat').at(-1)?.body as ChatBody;

beforeAll(async () => {
  fake = await startFakeOllama();
  client = new OllamaModelClient({
    host: fake.url,
    timeouts: { firstTokenMs: 2_000, idleMs: 2_000, totalMs: 10_000 },
  });
});
afterEach(() => {
  fake.clearFaults();
  fake.clearRequests();
});
afterAll(() => fake.close());

describe('OllamaModelClient against the fake Ollama', () => {
  it('streams a reply, strips the provider prefix and sends num_ctx derived from /api/show', async () => {
    fake.enqueueReply('*', { content: 'hello there general kenobi', promptEvalCount: 12, evalCount: 5 });
    const chunks: string[] = [];
    const r = await client.chat({
      model: 'ollama/qwen2.5-coder:7b',
      messages: hello,
      onChunk: (c) => chunks.push(c.content),
    });
    expect(r.content).toBe('hello there general kenobi');
    expect(chunks.filter(Boolean).length).toBeGreaterThan(1);
    expect(chunks.join('')).toBe(r.content);
    expect(r).toMatchObject({
      model: 'qwen2.5-coder:7b',
      promptTokens: 12,
      completionTokens: 5,
      numCtx: 32768,
    });
    expect(chatBody()).toMatchObject({
      model: 'qwen2.5-coder:7b',
      stream: true,
      options: { num_ctx: 32768 },
    });
    expect(fake.requestsTo('/api/show')).toHaveLength(1);
    // The context length is cached per model.
    await client.chat({ model: 'qwen2.5-coder:7b', messages: hello });
    expect(fake.requestsTo('/api/show')).toHaveLength(1);
  });

  it('caps a derived num_ctx at maxNumCtx; an explicit numCtx wins', async () => {
    const capped = new OllamaModelClient({ host: fake.url, maxNumCtx: 16_384 });
    const r = await capped.chat({ model: 'llama3.1:8b', messages: hello });
    expect(r.numCtx).toBe(16_384);
    expect(chatBody().options.num_ctx).toBe(16_384);
    await capped.chat({ model: 'llama3.1:8b', messages: hello, numCtx: 4_096 });
    expect(chatBody().options.num_ctx).toBe(4_096);
  });

  it('returns tool calls, and passes malformed ones through for the agent to judge', async () => {
    const tools = [
      { type: 'function' as const, function: { name: 'read_file', parameters: { type: 'object' } } },
    ];
    fake.enqueueReply('*', { toolCalls: [{ name: 'read_file', arguments: { path: 'README.md' } }] });
    const r = await client.chat({ model: 'qwen2.5-coder:7b', messages: hello, tools });
    expect(r.toolCalls).toEqual([{ name: 'read_file', arguments: { path: 'README.md' } }]);
    fake.injectFault({ kind: 'malformed-tool-call' }, { times: 1 });
    const bad = await client.chat({ model: 'qwen2.5-coder:7b', messages: hello, tools });
    expect(bad.toolCalls[0]?.name).toBe('read_file');
    expect(typeof bad.toolCalls[0]?.arguments).not.toBe('object');
  });

  it('lists, shows and reports the version', async () => {
    const models = await client.list();
    expect(models.map((m) => m.name)).toEqual(
      expect.arrayContaining(['qwen2.5-coder:7b', 'deepseek-coder:latest']),
    );
    const info = await client.show('ollama/deepseek-coder');
    expect(info).toMatchObject({ name: 'deepseek-coder:latest', contextLength: 16384 });
    expect(info.capabilities).not.toContain('tools');
    expect(await client.version()).toBe('0.12.6');
  });

  it('404 model → permanent MODEL_NOT_FOUND naming `ollama pull`', async () => {
    const e = await fail(client.chat({ model: 'ollama/starcoder2', messages: hello }));
    expect(e).toMatchObject({ code: 'MODEL_NOT_FOUND', retryable: false });
    expect(e.hint).toContain('ollama pull starcoder2:latest');
    fake.injectFault({ kind: 'model-not-found' }, { paths: ['/api/chat'], times: 1 });
    const e2 = await fail(client.chat({ model: 'qwen2.5-coder:7b', messages: hello, numCtx: 2048 }));
    expect(e2.code).toBe('MODEL_NOT_FOUND');
  });

  it('400 (tools on a model without tool support) → permanent MODEL_BAD_REQUEST', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'x' } }];
    const e = await fail(client.chat({ model: 'deepseek-coder', messages: hello, tools }));
    expect(e).toMatchObject({ code: 'MODEL_BAD_REQUEST', retryable: false });
    expect(e.message).toContain('does not support tools');
  });

  it.each([
    [500, 'SERVER_ERROR'],
    [503, 'MODEL_UNAVAILABLE'],
    [429, 'RATE_LIMITED'],
  ])('%i → retryable %s', async (status, code) => {
    fake.injectFault({ kind: 'status', status }, { times: 1 });
    const e = await fail(client.chat({ model: 'qwen2.5-coder:7b', messages: hello }));
    expect(e).toMatchObject({ code, retryable: true });
    expect(e.details.status).toBe(status);
  });

  it('a non-JSON error body keeps its text as the message', async () => {
    fake.injectFault({ kind: 'status', status: 502 }, { times: 1, paths: ['/api/version'] });
    const e = await fail(client.version());
    expect(e).toMatchObject({ code: 'SERVER_ERROR', retryable: true });
  });

  it('connection refused → retryable NETWORK', async () => {
    const dead = await startFakeOllama();
    await dead.close();
    const c = new OllamaModelClient({ host: dead.url });
    const e = await fail(c.chat({ model: 'x', messages: hello, numCtx: 1024 }));
    expect(e).toMatchObject({ code: 'NETWORK', retryable: true });
    expect(e.hint).toContain('ollama serve');
  });

  it('slow first token → TIMEOUT (first token), the request is aborted', async () => {
    fake.injectFault({ kind: 'slow-first-token', delayMs: 3_000 }, { times: 1 });
    const started = Date.now();
    const e = await fail(
      client.chat({ model: 'qwen2.5-coder:7b', messages: hello, timeouts: { firstTokenMs: 200 } }),
    );
    expect(e).toMatchObject({ code: 'TIMEOUT', retryable: true, details: { phase: 'firstTokenMs' } });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('a hung server → TIMEOUT', async () => {
    fake.injectFault({ kind: 'hang' }, { times: 1, paths: ['/api/chat'] });
    const e = await fail(
      client.chat({ model: 'qwen2.5-coder:7b', messages: hello, timeouts: { firstTokenMs: 150 } }),
    );
    expect(e).toMatchObject({ code: 'TIMEOUT', details: { phase: 'firstTokenMs' } });
  });

  it('a stream that goes silent → TIMEOUT (idle); a slow but steady one within the total limit passes', async () => {
    fake.enqueueReply('*', { content: 'one two three four' });
    fake.injectFault({ kind: 'slow-stream', chunkDelayMs: 400 }, { times: 1 });
    const e = await fail(
      client.chat({ model: 'qwen2.5-coder:7b', messages: hello, timeouts: { idleMs: 150 } }),
    );
    expect(e).toMatchObject({ code: 'TIMEOUT', details: { phase: 'idleMs' } });
    fake.enqueueReply('*', { content: 'one two three four' });
    fake.injectFault({ kind: 'slow-stream', chunkDelayMs: 50 }, { times: 1 });
    const ok = await client.chat({ model: 'qwen2.5-coder:7b', messages: hello, timeouts: { idleMs: 500 } });
    expect(ok.content).toBe('one two three four');
  });

  it('a reply longer than the total limit → TIMEOUT (total)', async () => {
    fake.enqueueReply('*', { content: 'a b c d e f g h' });
    fake.injectFault({ kind: 'slow-stream', chunkDelayMs: 60 }, { times: 1 });
    const e = await fail(
      client.chat({ model: 'qwen2.5-coder:7b', messages: hello, timeouts: { idleMs: 1_000, totalMs: 250 } }),
    );
    expect(e).toMatchObject({ code: 'TIMEOUT', details: { phase: 'totalMs' } });
  });

  it('stream cut mid-reply → retryable STREAM_CUT', async () => {
    fake.enqueueReply('*', { content: 'this reply will be cut short' });
    fake.injectFault({ kind: 'cut-stream', afterChunks: 2 }, { times: 1 });
    const chunks: string[] = [];
    const e = await fail(
      client.chat({ model: 'qwen2.5-coder:7b', messages: hello, onChunk: (c) => chunks.push(c.content) }),
    );
    expect(e).toMatchObject({ code: 'STREAM_CUT', retryable: true });
    expect(chunks.length).toBeGreaterThan(0);
  });

  it('an error line inside the stream → retryable SERVER_ERROR with the server message', async () => {
    fake.injectFault(
      { kind: 'error-in-stream', afterChunks: 1, message: 'llama runner crashed' },
      { times: 1 },
    );
    const e = await fail(client.chat({ model: 'qwen2.5-coder:7b', messages: hello }));
    expect(e).toMatchObject({ code: 'SERVER_ERROR', retryable: true });
    expect(e.message).toContain('llama runner crashed');
  });

  it('a caller abort ends the request at once', async () => {
    fake.injectFault({ kind: 'hang' }, { times: 1, paths: ['/api/chat'] });
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(), 100);
    const started = Date.now();
    const e = await fail(client.chat({ model: 'qwen2.5-coder:7b', messages: hello, signal: ctrl.signal }));
    expect(e.code).toBe('ABORTED');
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('credentials in the host URL become a Basic header and never appear in url or errors', async () => {
    const u = new URL(fake.url);
    u.username = 'ops';
    u.password = 'hunter2';
    const c = new OllamaModelClient({ host: u.toString() });
    expect(c.url).toBe(fake.url);
    await c.version();
    const auth = fake.requestsTo('/api/version').at(-1)?.headers.authorization;
    expect(auth).toBe(`Basic ${Buffer.from('ops:hunter2').toString('base64')}`);
    fake.injectFault({ kind: 'status', status: 500 }, { times: 1 });
    const e = await fail(c.version());
    expect(`${e.message} ${JSON.stringify(e.details)} ${e.hint ?? ''}`).not.toContain('hunter2');
  });
});
