import { Ollama, type Message as OllamaMessage, type Tool as OllamaTool } from 'ollama';
import { TpError } from '../errors/index.js';
import { redactUrl } from '../secrets/index.js';
import { classifyModelError } from './classify-model-error.js';
import { canonicalModel, stripProvider } from './names.js';
import type {
  ChatMessage,
  ChatRequest,
  ChatResult,
  ChatTimeouts,
  LoadResult,
  ModelClient,
  ModelDetails,
  ModelListEntry,
  ToolCall,
} from './types.js';

export interface OllamaClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:11434`. User info in the URL becomes a Basic auth header. */
  host: string;
  /** Injected fetch (tests count requests with it); default: global fetch. */
  fetch?: typeof fetch;
  /** Defaults for chat: first token 120 s, idle 60 s, total 600 s. */
  timeouts?: Partial<ChatTimeouts>;
  /** Limit for list/show/version. Default 10 s. */
  requestTimeoutMs?: number;
  /** Force this `num_ctx` on every request (config `ollama.numCtx`). */
  numCtx?: number;
  /** Upper bound when `num_ctx` is derived from the model's context length. Default 32768. */
  maxNumCtx?: number;
  /** `num_ctx` when `/api/show` reports no context length. Default 8192. */
  fallbackNumCtx?: number;
  /** Ollama `keep_alive` sent with chat requests (config `ollama.keepAlive`). */
  keepAlive?: string | number;
}

const DEFAULT_TIMEOUTS: ChatTimeouts = { firstTokenMs: 120_000, idleMs: 60_000, totalMs: 600_000 };

/**
 * A `ModelClient` for one Ollama host, built on the official `ollama` package. It adds what the
 * package leaves to callers: timeouts that abort the HTTP request (first token, idle stream,
 * total), an explicit `num_ctx` on every chat, provider-prefixed model names, and `TpError`s.
 */
export class OllamaModelClient implements ModelClient {
  readonly url: string;
  private readonly baseUrl: string;
  private readonly headers: Record<string, string> = {};
  private readonly baseFetch: typeof fetch;
  private readonly timeouts: ChatTimeouts;
  private readonly requestTimeoutMs: number;
  private readonly details = new Map<string, Promise<ModelDetails>>();

  constructor(private readonly options: OllamaClientOptions) {
    const parsed = new URL(options.host);
    if (parsed.username || parsed.password) {
      // fetch refuses URLs with credentials, and they must not reach logs: move them to a header.
      const user = decodeURIComponent(parsed.username);
      const pass = decodeURIComponent(parsed.password);
      this.headers.Authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    }
    this.baseUrl = redactUrl(options.host);
    this.url = this.baseUrl;
    this.baseFetch = options.fetch ?? fetch;
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  }

  /** Streams a chat completion and returns the assembled reply. */
  async chat(request: ChatRequest): Promise<ChatResult> {
    const model = stripProvider(request.model);
    const started = Date.now();
    const limits = { ...this.timeouts, ...request.timeouts };
    const numCtx = await this.numCtxFor(model, request);

    const controller = new AbortController();
    let timeoutError: TpError | undefined;
    const timers = new Map<string, NodeJS.Timeout>();
    const arm = (phase: keyof ChatTimeouts) => {
      clearTimeout(timers.get(phase));
      timers.set(
        phase,
        setTimeout(() => {
          timeoutError = new TpError(
            `Ollama ${this.url} ${canonicalModel(model)}: no ${label[phase]} within ${limits[phase]} ms`,
            {
              code: 'TIMEOUT',
              retryable: true,
              details: { phase, timeoutMs: limits[phase], host: this.url, model: canonicalModel(model) },
            },
          );
          controller.abort(timeoutError);
        }, limits[phase]),
      );
    };
    arm('totalMs');
    arm('firstTokenMs');
    const signal = request.signal ? AbortSignal.any([request.signal, controller.signal]) : controller.signal;

    let streaming = false;
    let content = '';
    let thinking = '';
    const toolCalls: ToolCall[] = [];
    let doneReason: string | undefined;
    let promptTokens: number | undefined;
    let completionTokens: number | undefined;
    try {
      signal.throwIfAborted();
      const stream = await this.sdk(signal).chat({
        model,
        messages: request.messages.map(toOllamaMessage),
        tools: request.tools as OllamaTool[] | undefined,
        format: request.format,
        options: { ...request.options, num_ctx: numCtx },
        keep_alive: request.keepAlive ?? this.options.keepAlive,
        stream: true,
      });
      streaming = true;
      for await (const part of stream) {
        if (timers.has('firstTokenMs')) {
          clearTimeout(timers.get('firstTokenMs'));
          timers.delete('firstTokenMs');
        }
        arm('idleMs');
        const calls = (part.message?.tool_calls ?? []).map((c) => ({
          name: c.function?.name ?? '',
          arguments: c.function?.arguments as unknown,
        }));
        content += part.message?.content ?? '';
        thinking += part.message?.thinking ?? '';
        toolCalls.push(...calls);
        request.onChunk?.({
          content: part.message?.content ?? '',
          ...(part.message?.thinking ? { thinking: part.message.thinking } : {}),
          ...(calls.length ? { toolCalls: calls } : {}),
        });
        if (part.done) {
          doneReason = part.done_reason;
          promptTokens = part.prompt_eval_count;
          completionTokens = part.eval_count;
        }
      }
    } catch (err) {
      if (timeoutError) throw timeoutError;
      throw classifyModelError(err, { model, host: this.url, streaming });
    } finally {
      for (const t of timers.values()) clearTimeout(t);
    }
    return {
      model: canonicalModel(model),
      content,
      ...(thinking ? { thinking } : {}),
      toolCalls,
      doneReason,
      promptTokens,
      completionTokens,
      numCtx,
      durationMs: Date.now() - started,
    };
  }

  /** Models installed on this host (`/api/tags`), with canonical names. */
  async list(signal?: AbortSignal): Promise<ModelListEntry[]> {
    const res = await this.bounded(signal, undefined, (s) => this.sdk(s).list());
    return res.models.map((m) => ({
      name: canonicalModel(m.name || m.model),
      sizeBytes: typeof m.size === 'number' ? m.size : undefined,
      family: m.details?.family || undefined,
      parameterSize: m.details?.parameter_size || undefined,
      ...(m.digest ? { digest: m.digest } : {}),
    }));
  }

  /** Context length and capabilities of one model (`/api/show`). */
  async show(model: string, signal?: AbortSignal): Promise<ModelDetails> {
    const name = stripProvider(model);
    const res = await this.bounded(signal, name, (s) => this.sdk(s).show({ model: name }));
    const info = (res.model_info ?? {}) as unknown as Record<string, unknown>;
    const arch = typeof info['general.architecture'] === 'string' ? info['general.architecture'] : undefined;
    const key = arch && `${arch}.context_length` in info ? `${arch}.context_length` : undefined;
    const ctxKey = key ?? Object.keys(info).find((k) => k.endsWith('.context_length'));
    const ctx = ctxKey ? info[ctxKey] : undefined;
    return {
      name: canonicalModel(name),
      contextLength: typeof ctx === 'number' && ctx > 0 ? ctx : undefined,
      capabilities: Array.isArray(res.capabilities) ? res.capabilities.map(String) : [],
      family: res.details?.family || undefined,
    };
  }

  /**
   * Preloads `model` (`/api/generate` with no prompt), as Ollama documents for loading a model
   * ahead of use; `keepAlive` 0 unloads it. Bounded by the first-token timeout, which is what
   * already covers load time for chats.
   */
  async load(model: string, keepAlive: string | number, signal?: AbortSignal): Promise<LoadResult> {
    const name = stripProvider(model);
    const started = Date.now();
    const res = await this.bounded(
      signal,
      name,
      (s) => this.sdk(s).generate({ model: name, prompt: '', keep_alive: keepAlive, stream: false }),
      this.timeouts.firstTokenMs,
    );
    return {
      model: canonicalModel(name),
      doneReason: res.done_reason || undefined,
      durationMs: Date.now() - started,
    };
  }

  /** Server version (`/api/version`); the cheapest liveness probe. */
  async version(signal?: AbortSignal): Promise<string> {
    const res = await this.bounded(signal, undefined, (s) => this.sdk(s).version());
    return res.version;
  }

  private async numCtxFor(model: string, request: ChatRequest): Promise<number> {
    const explicit = request.numCtx ?? request.options?.num_ctx ?? this.options.numCtx;
    if (typeof explicit === 'number' && explicit > 0) return explicit;
    let pending = this.details.get(canonicalModel(model));
    if (!pending) {
      pending = this.show(model, request.signal);
      this.details.set(canonicalModel(model), pending);
      // A failed lookup must not be cached: the next request asks again.
      pending.catch(() => this.details.delete(canonicalModel(model)));
    }
    const info = await pending;
    const derived = info.contextLength ?? this.options.fallbackNumCtx ?? 8192;
    return Math.min(derived, this.options.maxNumCtx ?? 32_768);
  }

  /** Runs a non-streaming call under `requestTimeoutMs` and the caller's signal. */
  private async bounded<T>(
    outer: AbortSignal | undefined,
    model: string | undefined,
    call: (signal: AbortSignal) => Promise<T>,
    timeoutMs = this.requestTimeoutMs,
  ): Promise<T> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const signal = outer ? AbortSignal.any([outer, controller.signal]) : controller.signal;
    try {
      signal.throwIfAborted();
      return await call(signal);
    } catch (err) {
      if (timedOut) {
        throw new TpError(`Ollama ${this.url}: no answer within ${timeoutMs} ms`, {
          code: 'TIMEOUT',
          retryable: true,
          details: { host: this.url, timeoutMs, ...(model ? { model } : {}) },
        });
      }
      throw classifyModelError(err, { ...(model ? { model } : {}), host: this.url });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A client bound to one signal. The package only lets streamed calls be aborted, so the
   * signal is injected through its `fetch` option; constructing the client is cheap.
   */
  private sdk(signal: AbortSignal): Ollama {
    const base = this.baseFetch;
    const wrapped: typeof fetch = async (input, init) => {
      const merged = init?.signal ? AbortSignal.any([init.signal, signal]) : signal;
      const res = await base(input, { ...init, signal: merged });
      return res.ok ? res : asJsonError(res);
    };
    return new Ollama({ host: this.baseUrl, fetch: wrapped, headers: this.headers });
  }
}

const label: Record<keyof ChatTimeouts, string> = {
  firstTokenMs: 'first token',
  idleMs: 'further tokens',
  totalMs: 'complete reply',
};

/**
 * The package prints to stdout (console.log) when an error body is not JSON, which would
 * corrupt JSON logs; handing it a JSON body keeps it quiet and keeps the message.
 */
async function asJsonError(res: Response): Promise<Response> {
  if (res.headers.get('content-type')?.includes('application/json')) return res;
  const text = await res.text().catch(() => '');
  return new Response(JSON.stringify({ error: text.trim() || `HTTP ${res.status}` }), {
    status: res.status,
    statusText: res.statusText,
    headers: { 'content-type': 'application/json' },
  });
}

function toOllamaMessage(m: ChatMessage): OllamaMessage {
  return {
    role: m.role,
    content: m.content,
    ...(m.toolCalls?.length
      ? {
          tool_calls: m.toolCalls.map((c) => ({
            function: { name: c.name, arguments: (c.arguments ?? {}) as Record<string, unknown> },
          })),
        }
      : {}),
    ...(m.toolName ? { tool_name: m.toolName } : {}),
  };
}
