import { type ChatResponse, Ollama } from 'ollama';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_REPLY_TEXT, type FakeOllama, startFakeOllama } from '../fixtures/fake-ollama/index.js';

// Contract: the official ollama client, unchanged, must not be able to tell the fake from a real server.

let fake: FakeOllama;
let client: Ollama;

beforeEach(async () => {
  fake = await startFakeOllama({
    models: [
      { name: 'qwen2.5-coder:7b', contextLength: 32768, capabilities: ['completion', 'tools'] },
      { name: 'deepseek-coder', contextLength: 16384, capabilities: ['completion'] },
    ],
  });
  client = new Ollama({ host: fake.url });
});

afterEach(async () => {
  await fake.close();
});

const readFileTool = {
  type: 'function',
  function: {
    name: 'read_file',
    description: 'Read a file',
    parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  },
};

async function collect(stream: AsyncIterable<ChatResponse>): Promise<ChatResponse[]> {
  const parts: ChatResponse[] = [];
  for await (const p of stream) parts.push(p);
  return parts;
}

describe('native chat', () => {
  it('streams content in several chunks and ends with done and metrics', async () => {
    fake.enqueueReply('qwen2.5-coder:7b', { content: 'Hello there, general Kenobi', evalCount: 7 });
    const stream = await client.chat({
      model: 'qwen2.5-coder:7b',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      options: { num_ctx: 8192 },
    });
    const parts = await collect(stream);
    expect(parts.length).toBeGreaterThan(2);
    expect(parts.map((p) => p.message.content).join('')).toBe('Hello there, general Kenobi');
    const last = parts.at(-1)!;
    expect(last.done).toBe(true);
    expect(last.done_reason).toBe('stop');
    expect(last.eval_count).toBe(7);
    expect(last.prompt_eval_count).toBeGreaterThan(0);
    expect(last.total_duration).toBeGreaterThan(0);
    expect(parts.slice(0, -1).every((p) => p.done === false)).toBe(true);
    expect(parts[0]!.model).toBe('qwen2.5-coder:7b');
  });

  it('answers stream:false with one JSON object', async () => {
    fake.enqueueReply('*', { content: 'single shot' });
    const res = await client.chat({ model: 'qwen2.5-coder:7b', messages: [{ role: 'user', content: 'x' }] });
    expect(res.message).toMatchObject({ role: 'assistant', content: 'single shot' });
    expect(res.done).toBe(true);
    expect(res.done_reason).toBe('stop');
  });

  it('records the request body, including options.num_ctx', async () => {
    await client.chat({
      model: 'qwen2.5-coder:7b',
      messages: [{ role: 'user', content: 'x' }],
      options: { num_ctx: 16384, temperature: 0.1 },
    });
    const reqs = fake.requestsTo('/api/chat');
    expect(reqs).toHaveLength(1);
    const req = reqs[0]!;
    expect(req.method).toBe('POST');
    expect((req.body as { options: { num_ctx: number } }).options.num_ctx).toBe(16384);
    expect(req.headers['user-agent']).toMatch(/ollama-js/);
  });

  it('caps prompt_eval_count at num_ctx, as Ollama truncates silently', async () => {
    const res = await client.chat({
      model: 'qwen2.5-coder:7b',
      messages: [{ role: 'user', content: 'y'.repeat(4000) }],
      options: { num_ctx: 256 },
    });
    expect(res.prompt_eval_count).toBe(256);
  });

  it('returns tool calls with parsed object arguments, streaming and not', async () => {
    const call = { name: 'read_file', arguments: { path: 'src/a.ts' } };
    fake.enqueueReply('qwen2.5-coder:7b', { toolCalls: [call] });
    fake.enqueueReply('qwen2.5-coder:7b', { content: 'Reading.', toolCalls: [call] });
    const res = await client.chat({
      model: 'qwen2.5-coder:7b',
      messages: [{ role: 'user', content: 'read a' }],
      tools: [readFileTool],
    });
    expect(res.message.tool_calls?.[0]?.function).toMatchObject(call);

    const parts = await collect(
      await client.chat({
        model: 'qwen2.5-coder:7b',
        messages: [{ role: 'user', content: 'read a' }],
        tools: [readFileTool],
        stream: true,
      }),
    );
    const calls = parts.flatMap((p) => p.message.tool_calls ?? []);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.function.arguments).toEqual({ path: 'src/a.ts' });
    expect(parts.map((p) => p.message.content).join('')).toBe('Reading.');
  });

  it('rejects tools for a model without the tools capability with 400, like Ollama', async () => {
    const err = await client
      .chat({ model: 'deepseek-coder', messages: [{ role: 'user', content: 'x' }], tools: [readFileTool] })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: 'ResponseError',
      status_code: 400,
      error: 'registry.ollama.ai/library/deepseek-coder:latest does not support tools',
    });
  });

  it('answers an unknown model with 404 and the pull hint', async () => {
    const err = await client
      .chat({ model: 'nope:1b', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status_code: 404, error: 'model "nope:1b" not found, try pulling it first' });
  });

  it('treats a name without a tag as :latest, for queues and lookup', async () => {
    fake.enqueueReply('deepseek-coder:latest', { content: 'tagged' });
    const res = await client.chat({ model: 'deepseek-coder', messages: [{ role: 'user', content: 'x' }] });
    expect(res.message.content).toBe('tagged');
    expect(res.model).toBe('deepseek-coder');
  });

  it('consumes queued replies per model first, then wildcard, then responder, then the default', async () => {
    fake.enqueueReply('*', { content: 'wild' });
    fake.enqueueReply('qwen2.5-coder:7b', { content: 'own' });
    const ask = async () =>
      (await client.chat({ model: 'qwen2.5-coder:7b', messages: [{ role: 'user', content: 'q' }] })).message
        .content;
    expect(await ask()).toBe('own');
    expect(await ask()).toBe('wild');
    expect(await ask()).toBe(DEFAULT_REPLY_TEXT);
    fake.setResponder((req) => ({ content: `echo ${req.messages.at(-1)?.content} via ${req.endpoint}` }));
    expect(await ask()).toBe('echo q via /api/chat');
  });

  it('loads the model for an empty message list, unloads it with keep_alive 0', async () => {
    const res = await client.chat({ model: 'qwen2.5-coder:7b', messages: [] });
    expect(res).toMatchObject({ done: true, done_reason: 'load' });
    expect((await client.ps()).models.map((m) => m.name)).toEqual(['qwen2.5-coder:7b']);
    const un = await client.chat({ model: 'qwen2.5-coder:7b', messages: [], keep_alive: 0 });
    expect(un).toMatchObject({ done: true, done_reason: 'unload' });
    expect((await client.ps()).models).toEqual([]);
  });
});

describe('other native endpoints', () => {
  it('generate streams response chunks and a final chunk', async () => {
    fake.enqueueReply('*', { content: 'def f(): pass' });
    const parts = [];
    for await (const p of await client.generate({
      model: 'deepseek-coder',
      prompt: 'write f',
      stream: true,
    })) {
      parts.push(p);
    }
    expect(parts.map((p) => p.response).join('')).toBe('def f(): pass');
    expect(parts.at(-1)).toMatchObject({ done: true, done_reason: 'stop' });
    const single = await client.generate({ model: 'deepseek-coder', prompt: 'again' });
    expect(single.response).toBe(DEFAULT_REPLY_TEXT);
  });

  it('list returns the models with digest and details', async () => {
    const res = await client.list();
    expect(res.models.map((m) => m.name)).toEqual(['qwen2.5-coder:7b', 'deepseek-coder:latest']);
    const m = res.models[0]!;
    expect(m.model).toBe('qwen2.5-coder:7b');
    expect(m.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(m.details.family).toBe('qwen2');
    expect(new Date(m.modified_at).getTime()).not.toBeNaN();
    fake.addModel({ name: 'llama3.1:8b' });
    fake.removeModel('deepseek-coder');
    expect((await client.list()).models.map((m) => m.name)).toEqual(['qwen2.5-coder:7b', 'llama3.1:8b']);
  });

  it('show reports context length under the architecture key and capabilities; 404 when unknown', async () => {
    const res = await client.show({ model: 'qwen2.5-coder:7b' });
    const info = res.model_info as unknown as Record<string, unknown>;
    const arch = info['general.architecture'] as string;
    expect(info[`${arch}.context_length`]).toBe(32768);
    expect((res as unknown as { capabilities: string[] }).capabilities).toEqual(['completion', 'tools']);
    expect(res.details.parameter_size).toBe('7B');
    const err = await client.show({ model: 'ghost' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ResponseError', status_code: 404 });
  });

  it('ps lists the models a request has loaded', async () => {
    expect((await client.ps()).models).toEqual([]);
    await client.chat({ model: 'deepseek-coder', messages: [{ role: 'user', content: 'x' }] });
    const ps = await client.ps();
    expect(ps.models.map((m) => m.name)).toEqual(['deepseek-coder:latest']);
    expect(new Date(ps.models[0]!.expires_at).getTime()).toBeGreaterThan(Date.now());
  });

  it('version and the root health text', async () => {
    expect((await client.version()).version).toMatch(/^\d+\.\d+\.\d+$/);
    const root = await fetch(fake.url);
    expect(await root.text()).toBe('Ollama is running');
  });
});
