import { TpError } from '../../errors/index.js';
import {
  type ChatTimeouts,
  classifyModelError,
  type ChatRequest as ModelChatRequest,
  type ModelClient,
  OllamaModelClient,
  type ToolCall,
} from '../../models/index.js';
import type { ChatPort, ChatReply, ChatRequest, ModelInfo, ToolCallOut } from './chat-port.js';

/** Longest raw argument text kept on a malformed tool call (it goes into logs and the prompt). */
const MALFORMED_PREVIEW_CHARS = 500;

/**
 * The agent's `ChatPort` on a models-domain `ModelClient` (normally `OllamaModelClient`), so
 * every model call of the built-in agent gets that client's first-token, idle-stream and total
 * timeouts, credential-safe host URLs and `classifyModelError` classification.
 *
 * `num_ctx` is passed exactly as the agent planned it (the client then skips its own
 * derivation); malformed tool calls are flagged so the agent can fall back to text mode.
 */
export function modelClientChatPort(client: ModelClient): ChatPort {
  return {
    async chat(req: ChatRequest): Promise<ChatReply> {
      const { num_ctx, ...sampling } = req.options;
      const request: ModelChatRequest = {
        model: req.model,
        messages: req.messages,
        ...(req.tools ? { tools: req.tools } : {}),
        numCtx: num_ctx,
        options: dropUndefined(sampling),
        signal: req.signal,
        ...(req.keepAlive ? { keepAlive: req.keepAlive } : {}),
        ...(req.onChunk
          ? {
              onChunk: (chunk) => {
                if (chunk.content) req.onChunk?.(chunk.content);
              },
            }
          : {}),
      };
      let result: Awaited<ReturnType<ModelClient['chat']>>;
      try {
        result = await client.chat(request);
      } catch (err) {
        throw asPortError(err, req.model, req.signal);
      }
      const toolCalls = result.toolCalls.map(readToolCall);
      return {
        message: { content: result.content, ...(toolCalls.length ? { toolCalls } : {}) },
        promptTokens: result.promptTokens ?? 0,
        completionTokens: result.completionTokens ?? 0,
      };
    },

    async show(model: string, signal?: AbortSignal): Promise<ModelInfo> {
      try {
        const details = await client.show(model, signal);
        return { contextLength: details.contextLength ?? 0, capabilities: [...details.capabilities] };
      } catch (err) {
        throw asPortError(err, model, signal);
      }
    },
  };
}

/** Options of {@link modelClientPortFactory}; the composition root maps config onto them. */
export interface ModelClientPortOptions {
  /** Per chat request: first streamed chunk, longest silence between chunks, whole reply. */
  timeouts: ChatTimeouts;
  /** Default Ollama `keep_alive` when the agent sends none (`ollama.keepAlive`). */
  keepAlive?: string;
  /** Injected fetch (tests); default: global fetch. */
  fetch?: typeof fetch;
  /** Limit for `/api/show` (non-streamed). Default: the client's (10 s). */
  requestTimeoutMs?: number;
}

/**
 * A port factory for `new BuiltinAgent({ port: modelClientPortFactory(...) })`: the agent calls it
 * with each run's `ollamaHost`, and every host gets one `OllamaModelClient`, kept for later runs
 * (the client caches `/api/show` answers per model).
 */
export function modelClientPortFactory(opts: ModelClientPortOptions): (host: string) => ChatPort {
  for (const key of ['firstTokenMs', 'idleMs', 'totalMs'] as const) {
    const value = opts.timeouts[key];
    if (!Number.isFinite(value) || value <= 0) {
      throw new TpError(`model client timeout ${key} must be a positive number of milliseconds`, {
        code: 'CONFIG_INVALID',
        details: { [key]: value },
      });
    }
  }
  const ports = new Map<string, ChatPort>();
  return (host: string): ChatPort => {
    let port = ports.get(host);
    if (!port) {
      const client = new OllamaModelClient({
        host,
        timeouts: { ...opts.timeouts },
        ...(opts.keepAlive ? { keepAlive: opts.keepAlive } : {}),
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
        ...(opts.requestTimeoutMs ? { requestTimeoutMs: opts.requestTimeoutMs } : {}),
      });
      port = modelClientChatPort(client);
      ports.set(host, port);
    }
    return port;
  };
}

/** `temperature: undefined` would reach Ollama as an explicit key; leave unset options out. */
function dropUndefined(options: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

/**
 * The client hands tool-call arguments through untouched; the agent needs an object. A JSON
 * string is accepted (some servers send one); anything else, or a call without a name, is
 * flagged `malformed` so the agent switches to the text edit format instead of guessing.
 */
function readToolCall(call: ToolCall): ToolCallOut {
  const name = typeof call.name === 'string' ? call.name : '';
  let args = call.arguments;
  if (typeof args === 'string') {
    const text = args;
    try {
      args = JSON.parse(text);
    } catch {
      return { name, arguments: {}, malformed: text.slice(0, MALFORMED_PREVIEW_CHARS) };
    }
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args) || !name) {
    const raw = JSON.stringify(call.arguments ?? null) ?? String(call.arguments);
    return { name, arguments: {}, malformed: raw.slice(0, MALFORMED_PREVIEW_CHARS) };
  }
  return { name, arguments: args as Record<string, unknown> };
}

/**
 * The client's errors are already classified. The one case it cannot know about is the
 * caller's own abort (wall clock, cancellation): the abort reason is an arbitrary value, so it
 * is reported as `ABORTED` rather than whatever classification that value would get.
 */
function asPortError(err: unknown, model: string, signal?: AbortSignal): TpError {
  if (signal?.aborted && !(TpError.isInstance(err) && err.code === 'TIMEOUT')) {
    return new TpError(`request to model ${model} aborted`, { code: 'ABORTED', retryable: true, cause: err });
  }
  return classifyModelError(err, { model });
}
