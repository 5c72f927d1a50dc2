import { afterEach, describe, expect, it } from 'vitest';
import { type FakeOllama, type FakeOllamaOptions, startFakeOllama } from '../fixtures/fake-ollama/index.js';

// Contract for /v1/chat/completions, the endpoint CLI agents (AI SDK openai-compatible) drive: plain fetch,
// SSE parsed by hand, so the wire format itself is what is checked.

let fake: FakeOllama | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(opts: FakeOllamaOptions = {}): Promise<FakeOllama> {
  fake = await startFakeOllama(opts);
  return fake;
}

interface Chunk {
  id: string;
  object: string;
  model: string;
  choices: Array<{
    index: number;
    finish_reason: string | null;
    delta: {
      role?: string;
      content?: string;
      tool_calls?: Array<{
        index: number;
        id?: string;
        type?: string;
        function: { name?: string; arguments?: string };
      }>;
    };
  }>;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

/** Parses an SSE body into its data payloads, checking every event is a single `data:` line. */
function parseSse(text: string): { chunks: Chunk[]; done: boolean } {
  const events = text.split('\n\n');
  expect(events.pop()).toBe('');
  const chunks: Chunk[] = [];
  let done = false;
  for (const e of events) {
    expect(e.startsWith('data: ')).toBe(true);
    const data = e.slice('data: '.length);
    if (data === '[DONE]') {
      done = true;
      continue;
    }
    expect(done).toBe(false);
    chunks.push(JSON.parse(data) as Chunk);
  }
  return { chunks, done };
}

function post(f: FakeOllama, body: unknown): Promise<Response> {
  return fetch(`${f.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer ollama' },
    body: JSON.stringify(body),
  });
}

/** Reassembles streamed tool calls by index, as an OpenAI-compatible client does. */
function assembleToolCalls(chunks: Chunk[]) {
  const calls: Array<{ id: string; name: string; arguments: string }> = [];
  for (const c of chunks) {
    for (const tc of c.choices[0]?.delta.tool_calls ?? []) {
      const slot = calls[tc.index];
      if (!slot) {
        expect(tc.id).toBeTruthy();
        expect(tc.type).toBe('function');
        calls[tc.index] = { id: tc.id!, name: tc.function.name!, arguments: tc.function.arguments ?? '' };
      } else {
        slot.arguments += tc.function.arguments ?? '';
      }
    }
  }
  return calls;
}

const writeTool = {
  type: 'function',
  function: {
    name: 'write_file',
    description: 'Write a file',
    parameters: {
      type: 'object',
      properties: { path: { type: 'string' }, content: { type: 'string' } },
      required: ['path', 'content'],
    },
  },
};

describe('/v1/chat/completions streaming', () => {
  it('streams content deltas, a finish_reason stop chunk, then [DONE]', async () => {
    const f = await start();
    f.enqueueReply('*', { content: 'Hello from the fake' });
    const res = await post(f, {
      model: 'qwen2.5-coder:7b',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const { chunks, done } = parseSse(await res.text());
    expect(done).toBe(true);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0]!.id)).toBe(true);
    expect(chunks.map((c) => c.choices[0]!.delta.content ?? '').join('')).toBe('Hello from the fake');
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.slice(0, -1).every((c) => c.choices[0]!.finish_reason === null)).toBe(true);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.some((c) => c.usage)).toBe(false);
  });

  it('splits a tool call across chunks (id and name first, then argument fragments) in split mode', async () => {
    const f = await start({ openaiToolCallChunks: 'split' });
    const args = { path: 'src/hello.ts', content: 'export const hello = "world";\n' };
    f.enqueueReply('qwen2.5-coder:7b', { toolCalls: [{ name: 'write_file', arguments: args }] });
    const res = await post(f, {
      model: 'qwen2.5-coder:7b',
      messages: [{ role: 'user', content: 'write hello' }],
      tools: [writeTool],
      stream: true,
    });
    const { chunks } = parseSse(await res.text());
    const withCalls = chunks.filter((c) => c.choices[0]?.delta.tool_calls);
    expect(withCalls.length).toBeGreaterThan(2);
    expect(withCalls[0]!.choices[0]!.delta.tool_calls![0]!.function.arguments).toBe('');
    expect(withCalls.slice(1).every((c) => c.choices[0]!.delta.tool_calls![0]!.id === undefined)).toBe(true);
    const calls = assembleToolCalls(chunks);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.name).toBe('write_file');
    expect(calls[0]!.id).toMatch(/^call_/);
    expect(JSON.parse(calls[0]!.arguments)).toEqual(args);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('sends each tool call whole in one delta by default, as Ollama does', async () => {
    const f = await start();
    f.enqueueReply('*', {
      content: 'Two calls.',
      toolCalls: [
        { name: 'write_file', arguments: { path: 'a', content: '1' } },
        { name: 'write_file', arguments: { path: 'b', content: '2' } },
      ],
    });
    const res = await post(f, {
      model: 'qwen2.5-coder:7b',
      messages: [{ role: 'user', content: 'x' }],
      tools: [writeTool],
      stream: true,
    });
    const { chunks } = parseSse(await res.text());
    const withCalls = chunks.filter((c) => c.choices[0]?.delta.tool_calls);
    expect(withCalls).toHaveLength(1);
    const calls = assembleToolCalls(chunks);
    expect(calls.map((c) => JSON.parse(c.arguments))).toEqual([
      { path: 'a', content: '1' },
      { path: 'b', content: '2' },
    ]);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('adds a usage chunk with empty choices before [DONE] when stream_options.include_usage', async () => {
    const f = await start();
    f.enqueueReply('*', { content: 'counted', promptEvalCount: 11, evalCount: 3 });
    const res = await post(f, {
      model: 'qwen2.5-coder:7b',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const { chunks, done } = parseSse(await res.text());
    expect(done).toBe(true);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 });
  });

  it('accepts what AI SDK clients send and hands the responder plain text', async () => {
    const f = await start();
    const seen: string[] = [];
    f.setResponder((req) => {
      seen.push(...req.messages.map((m) => `${m.role}:${m.content}`));
      return { content: `tools=${req.tools?.length ?? 0} via ${req.endpoint}` };
    });
    const body = {
      model: 'qwen2.5-coder:7b',
      messages: [
        { role: 'system', content: 'You are a coder.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'part one ' },
            { type: 'text', text: 'part two' },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'write_file', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'ok' },
      ],
      tools: [writeTool],
      tool_choice: 'auto',
      max_tokens: 4096,
      temperature: 0,
      top_p: 1,
      frequency_penalty: 0,
      stream: true,
      stream_options: { include_usage: true },
    };
    const res = await post(f, body);
    expect(res.status).toBe(200);
    const { chunks } = parseSse(await res.text());
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(
      'tools=1 via /v1/chat/completions',
    );
    expect(seen).toEqual(['system:You are a coder.', 'user:part one part two', 'assistant:', 'tool:ok']);
    const recorded = f.requestsTo('/v1/chat/completions')[0]!;
    expect(recorded.body).toEqual(body);
    expect(recorded.headers.authorization).toBe('Bearer ollama');
  });

  it('cut-stream drops the connection mid-stream; the reader sees an error, no [DONE]', async () => {
    const f = await start();
    f.enqueueReply('*', { content: 'a b c d e f' });
    f.injectFault({ kind: 'cut-stream', afterChunks: 2 }, { paths: ['/v1/chat/completions'], times: 1 });
    const res = await post(f, {
      model: 'qwen2.5-coder:7b',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    const err = await (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return undefined;
        text += new TextDecoder().decode(value);
      }
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(text.split('\n\n').filter((e) => e.startsWith('data: '))).toHaveLength(2);
    expect(text).not.toContain('[DONE]');
  });

  it('malformed-tool-call streams arguments that are not valid JSON', async () => {
    const f = await start();
    f.injectFault({ kind: 'malformed-tool-call' }, { times: 1 });
    const res = await post(f, {
      model: 'qwen2.5-coder:7b',
      messages: [{ role: 'user', content: 'x' }],
      tools: [writeTool],
      stream: true,
    });
    const calls = assembleToolCalls(parseSse(await res.text()).chunks);
    expect(calls[0]?.name).toBe('write_file');
    expect(() => JSON.parse(calls[0]!.arguments)).toThrow();
  });
});

describe('/v1/chat/completions without streaming', () => {
  it('returns a chat.completion with usage; stream defaults to false on /v1', async () => {
    const f = await start();
    f.enqueueReply('*', { content: 'plain', toolCalls: [{ name: 'write_file', arguments: { path: 'p' } }] });
    const res = await post(f, { model: 'qwen2.5-coder:7b', messages: [{ role: 'user', content: 'x' }] });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const json = (await res.json()) as {
      object: string;
      choices: Array<{
        finish_reason: string;
        message: { content: string; tool_calls: Chunk['choices'][0]['delta']['tool_calls'] };
      }>;
      usage: { total_tokens: number };
    };
    expect(json.object).toBe('chat.completion');
    expect(json.choices[0]!.message.content).toBe('plain');
    expect(json.choices[0]!.finish_reason).toBe('tool_calls');
    expect(JSON.parse(json.choices[0]!.message.tool_calls![0]!.function.arguments!)).toEqual({ path: 'p' });
    expect(json.usage.total_tokens).toBeGreaterThan(0);
  });
});

describe('/v1 errors and models', () => {
  it('reports errors in the OpenAI shape', async () => {
    const f = await start();
    const missing = await post(f, { model: 'qwen2.5-coder', messages: [{ role: 'user', content: 'x' }] });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: {
        message: 'model "qwen2.5-coder" not found, try pulling it first',
        type: 'not_found_error',
        param: null,
        code: null,
      },
    });
    const empty = await post(f, { model: 'qwen2.5-coder:7b', messages: [] });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    f.injectFault({ kind: 'status', status: 500 }, { times: 1 });
    const boom = await post(f, { model: 'qwen2.5-coder:7b', messages: [{ role: 'user', content: 'x' }] });
    expect(boom.status).toBe(500);
    expect(((await boom.json()) as { error: { type: string; message: string } }).error).toMatchObject({
      type: 'api_error',
      message: 'internal server error',
    });
  });

  it('lists and retrieves models', async () => {
    const f = await start();
    const list = (await (await fetch(`${f.url}/v1/models`)).json()) as {
      object: string;
      data: Array<{ id: string; object: string; owned_by: string }>;
    };
    expect(list.object).toBe('list');
    expect(list.data.map((m) => m.id)).toContain('qwen2.5-coder:7b');
    expect(list.data[0]).toMatchObject({ object: 'model', owned_by: 'library' });
    const one = await fetch(`${f.url}/v1/models/qwen2.5-coder:7b`);
    expect(((await one.json()) as { id: string }).id).toBe('qwen2.5-coder:7b');
    expect((await fetch(`${f.url}/v1/models/ghost`)).status).toBe(404);
  });
});
