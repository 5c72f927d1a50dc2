import { describe, expect, it } from 'vitest';
import {
  type ChatRequest,
  modelClientChatPort,
  modelClientPortFactory,
} from '../../../src/agents/builtin/index.js';
import { TpError } from '../../../src/errors/index.js';
import type {
  ChatResult,
  ModelClient,
  ModelDetails,
  ChatRequest as ModelRequest,
} from '../../../src/models/index.js';

/** An in-memory ModelClient: records requests, answers with a scripted result or throws. */
class MemoryClient implements ModelClient {
  readonly url = 'http://memory';
  readonly requests: ModelRequest[] = [];
  readonly shown: Array<{ model: string; signal: AbortSignal | undefined }> = [];
  constructor(
    private readonly answer: Partial<ChatResult> | Error,
    private readonly details: ModelDetails | Error = {
      name: 'm:latest',
      contextLength: 32_768,
      capabilities: ['completion', 'tools'],
      family: 'qwen2',
    },
    private readonly chunks: Array<{ content: string; thinking?: string }> = [],
  ) {}

  async chat(request: ModelRequest): Promise<ChatResult> {
    this.requests.push(request);
    for (const c of this.chunks) request.onChunk?.(c);
    if (this.answer instanceof Error) throw this.answer;
    return {
      model: 'm:latest',
      content: '',
      toolCalls: [],
      doneReason: 'stop',
      promptTokens: undefined,
      completionTokens: undefined,
      numCtx: request.numCtx ?? 0,
      durationMs: 1,
      ...this.answer,
    };
  }
  async list() {
    return [];
  }
  async show(model: string, signal?: AbortSignal): Promise<ModelDetails> {
    this.shown.push({ model, signal });
    if (this.details instanceof Error) throw this.details;
    return this.details;
  }
  async version() {
    return '0.0.0';
  }
}

const baseReq = (over: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'qwen2.5-coder:7b',
  messages: [{ role: 'user', content: 'hi' }],
  options: { num_ctx: 12_000, num_predict: 2_000 },
  signal: new AbortController().signal,
  ...over,
});

describe('modelClientChatPort: request shapes', () => {
  it('passes messages through and converts tools, num_ctx, sampling options and keepAlive to the client request', async () => {
    const client = new MemoryClient({ content: 'ok' });
    const signal = new AbortController().signal;
    await modelClientChatPort(client).chat(
      baseReq({
        messages: [
          { role: 'system', content: 'sys' },
          { role: 'user', content: 'do it' },
          {
            role: 'assistant',
            content: 'reading',
            toolCalls: [{ name: 'read_file', arguments: { path: 'a.ts' } }],
          },
          { role: 'tool', content: 'file text', toolName: 'read_file' },
        ],
        tools: [
          {
            type: 'function',
            function: { name: 'read_file', description: 'read', parameters: { type: 'object' } },
          },
        ],
        options: { num_ctx: 12_000, num_predict: 2_000, temperature: 0.2 },
        keepAlive: '7m',
        signal,
      }),
    );
    const [req] = client.requests;
    expect(req!.model).toBe('qwen2.5-coder:7b');
    expect(req!.numCtx).toBe(12_000);
    expect(req!.options).toEqual({ num_predict: 2_000, temperature: 0.2 });
    expect(req!.keepAlive).toBe('7m');
    expect(req!.signal).toBe(signal);
    expect(req!.tools).toEqual([
      {
        type: 'function',
        function: { name: 'read_file', description: 'read', parameters: { type: 'object' } },
      },
    ]);
    expect(req!.messages).toEqual([
      { role: 'system', content: 'sys' },
      { role: 'user', content: 'do it' },
      {
        role: 'assistant',
        content: 'reading',
        toolCalls: [{ name: 'read_file', arguments: { path: 'a.ts' } }],
      },
      { role: 'tool', content: 'file text', toolName: 'read_file' },
    ]);
  });

  it('leaves out tools, keepAlive and unset sampling options when the agent sends none', async () => {
    const client = new MemoryClient({ content: 'ok' });
    await modelClientChatPort(client).chat(
      baseReq({ options: { num_ctx: 4_096, num_predict: undefined, temperature: undefined } }),
    );
    const [req] = client.requests;
    expect(req).not.toHaveProperty('tools');
    expect(req).not.toHaveProperty('keepAlive');
    expect(req!.options).toEqual({});
    expect(req!.numCtx).toBe(4_096);
  });
});

describe('modelClientChatPort: reply shapes', () => {
  it('returns content, object tool calls and token counts; forwards only non-empty content chunks', async () => {
    const client = new MemoryClient(
      {
        content: 'Fixing.',
        toolCalls: [{ name: 'apply_patch', arguments: { edits: [] } }],
        promptTokens: 321,
        completionTokens: 45,
      },
      undefined,
      [{ content: '', thinking: 'hmm' }, { content: 'Fix' }, { content: 'ing.' }],
    );
    const seen: string[] = [];
    const reply = await modelClientChatPort(client).chat(baseReq({ onChunk: (t) => seen.push(t) }));
    expect(reply).toEqual({
      message: { content: 'Fixing.', toolCalls: [{ name: 'apply_patch', arguments: { edits: [] } }] },
      promptTokens: 321,
      completionTokens: 45,
    });
    expect(seen).toEqual(['Fix', 'ing.']);
  });

  it('missing token counts become 0 and a reply without calls has no toolCalls key', async () => {
    const reply = await modelClientChatPort(new MemoryClient({ content: 'plain' })).chat(baseReq());
    expect(reply).toEqual({ message: { content: 'plain' }, promptTokens: 0, completionTokens: 0 });
  });

  it('parses arguments sent as a JSON string', async () => {
    const client = new MemoryClient({ toolCalls: [{ name: 'read_file', arguments: '{"path":"b.ts"}' }] });
    const reply = await modelClientChatPort(client).chat(baseReq());
    expect(reply.message.toolCalls).toEqual([{ name: 'read_file', arguments: { path: 'b.ts' } }]);
  });

  it.each([
    ['a truncated JSON string', 'read_file', '{"path": "a.t', '{"path": "a.t'],
    ['an array', 'read_file', ['a.ts'], '["a.ts"]'],
    ['a number', 'read_file', 7, '7'],
    ['null', 'read_file', null, 'null'],
    ['a JSON string holding a non-object', 'read_file', '"a.ts"', '"\\"a.ts\\""'],
    ['an empty name', '', { path: 'a.ts' }, '{"path":"a.ts"}'],
  ])('flags a tool call whose arguments are %s as malformed', async (_what, name, args, raw) => {
    const client = new MemoryClient({ toolCalls: [{ name, arguments: args }] });
    const reply = await modelClientChatPort(client).chat(baseReq());
    expect(reply.message.toolCalls).toEqual([{ name, arguments: {}, malformed: raw }]);
  });

  it('keeps the raw text of a malformed call short', async () => {
    const client = new MemoryClient({
      toolCalls: [{ name: 'write_file', arguments: `{"c":"${'x'.repeat(2_000)}` }],
    });
    const reply = await modelClientChatPort(client).chat(baseReq());
    expect(reply.message.toolCalls![0]!.malformed).toHaveLength(500);
  });

  it('show maps details to ModelInfo and passes the signal', async () => {
    const client = new MemoryClient({});
    const signal = new AbortController().signal;
    const port = modelClientChatPort(client);
    expect(await port.show('qwen2.5-coder:7b', signal)).toEqual({
      contextLength: 32_768,
      capabilities: ['completion', 'tools'],
    });
    expect(client.shown).toEqual([{ model: 'qwen2.5-coder:7b', signal }]);
    const unknown = new MemoryClient(
      {},
      { name: 'x', contextLength: undefined, capabilities: [], family: undefined },
    );
    expect(await modelClientChatPort(unknown).show('x')).toEqual({ contextLength: 0, capabilities: [] });
  });
});

describe('modelClientChatPort: errors', () => {
  it('passes the client TpError through unchanged', async () => {
    const timeout = new TpError('no first token within 50 ms', {
      code: 'TIMEOUT',
      retryable: true,
      details: { phase: 'firstTokenMs' },
    });
    const err = await modelClientChatPort(new MemoryClient(timeout))
      .chat(baseReq())
      .catch((e) => e);
    expect(err).toBe(timeout);
    const notFound = new TpError('gone', { code: 'MODEL_NOT_FOUND', retryable: false, hint: 'pull it' });
    const err2 = await modelClientChatPort(new MemoryClient({}, notFound))
      .show('gone')
      .catch((e) => e);
    expect(err2).toBe(notFound);
  });

  it('classifies a foreign error into a TpError', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    });
    const err = await modelClientChatPort(new MemoryClient(refused))
      .chat(baseReq())
      .catch((e) => e);
    expect(TpError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({ code: 'NETWORK', retryable: true });
  });

  it("reports the caller's abort as ABORTED, but keeps the client's own TIMEOUT", async () => {
    const ctl = new AbortController();
    ctl.abort(new Error('wall-clock budget reached'));
    const err = await modelClientChatPort(new MemoryClient(new Error('wall-clock budget reached')))
      .chat(baseReq({ signal: ctl.signal }))
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'ABORTED', retryable: true });
    const timeout = new TpError('idle', { code: 'TIMEOUT', retryable: true });
    const err2 = await modelClientChatPort(new MemoryClient(timeout))
      .chat(baseReq({ signal: ctl.signal }))
      .catch((e) => e);
    expect(err2).toBe(timeout);
  });
});

describe('modelClientPortFactory', () => {
  const timeouts = { firstTokenMs: 1_000, idleMs: 1_000, totalMs: 5_000 };

  it('gives one port per host and reuses it', () => {
    const factory = modelClientPortFactory({ timeouts });
    const a = factory('http://127.0.0.1:1');
    expect(factory('http://127.0.0.1:1')).toBe(a);
    expect(factory('http://127.0.0.1:2')).not.toBe(a);
  });

  it('rejects a non-positive timeout as CONFIG_INVALID', () => {
    expect(() => modelClientPortFactory({ timeouts: { ...timeouts, idleMs: 0 } })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });

  it('uses the injected fetch and keeps credentials out of errors', async () => {
    const urls: string[] = [];
    const fakeFetch: typeof fetch = async (input) => {
      urls.push(String(input instanceof Request ? input.url : input));
      return new Response(JSON.stringify({ error: 'model "m" not found, try pulling it first' }), {
        status: 404,
        headers: { 'content-type': 'application/json' },
      });
    };
    const port = modelClientPortFactory({ timeouts, fetch: fakeFetch })('http://user:s3cret@127.0.0.1:9');
    const err = await port.show('m').catch((e) => e);
    expect(err).toMatchObject({ code: 'MODEL_NOT_FOUND', retryable: false });
    expect(urls).toEqual(['http://127.0.0.1:9/api/show']);
    expect(JSON.stringify({ m: err.message, h: err.hint, d: err.details })).not.toContain('s3cret');
  });
});
