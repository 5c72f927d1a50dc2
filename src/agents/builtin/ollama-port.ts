import { Ollama } from 'ollama';
import { classify, TpError } from '../../errors/index.js';
import type { ChatPort, ChatReply, ChatRequest, ModelInfo, ToolCallOut } from './chat-port.js';

type FetchFn = typeof fetch;

/**
 * A `ChatPort` on the official `ollama` client: `/api/chat` streamed (chunks collected, content
 * forwarded to `onChunk`), `/api/show` for context length and capabilities. Errors become
 * `TpError`s (404 "not found" → `MODEL_NOT_FOUND`, network/5xx retryable via `classify`).
 *
 * The client has no per-call abort signal, so each call gets a client whose `fetch` is bound to
 * that call's signal; clients are cheap (no connection state of their own).
 */
export function ollamaChatPort(host: string, fetchImpl: FetchFn = fetch): ChatPort {
  const clientFor = (signal?: AbortSignal): Ollama =>
    new Ollama({
      host,
      fetch: ((url: Parameters<FetchFn>[0], init?: Parameters<FetchFn>[1]) => {
        const signals = [init?.signal, signal].filter((s): s is AbortSignal => s != null);
        return fetchImpl(url, { ...init, signal: signals.length ? AbortSignal.any(signals) : undefined });
      }) as FetchFn,
    });

  return {
    async chat(req: ChatRequest): Promise<ChatReply> {
      const client = clientFor(req.signal);
      let content = '';
      const toolCalls: ToolCallOut[] = [];
      let promptTokens = 0;
      let completionTokens = 0;
      try {
        const stream = await client.chat({
          model: req.model,
          messages: req.messages,
          ...(req.tools ? { tools: req.tools } : {}),
          options: req.options,
          ...(req.keepAlive ? { keep_alive: req.keepAlive } : {}),
          stream: true,
        });
        const onAbort = () => stream.abort();
        req.signal.addEventListener('abort', onAbort, { once: true });
        try {
          for await (const part of stream) {
            const text = part.message?.content ?? '';
            if (text) {
              content += text;
              req.onChunk?.(text);
            }
            for (const call of part.message?.tool_calls ?? []) toolCalls.push(readToolCall(call));
            if (part.done) {
              promptTokens = part.prompt_eval_count ?? 0;
              completionTokens = part.eval_count ?? 0;
            }
          }
        } finally {
          req.signal.removeEventListener('abort', onAbort);
        }
      } catch (err) {
        throw toModelError(err, req.model, req.signal);
      }
      return {
        message: { content, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) },
        promptTokens,
        completionTokens,
      };
    },

    async show(model: string, signal?: AbortSignal): Promise<ModelInfo> {
      try {
        const res = await clientFor(signal).show({ model });
        return {
          contextLength: contextLengthOf(res.model_info, res.parameters),
          capabilities: res.capabilities ?? [],
        };
      } catch (err) {
        throw toModelError(err, model, signal);
      }
    },
  };
}

/** Tool-call arguments arrive as an object from Ollama; anything else means the model garbled the call. */
function readToolCall(call: unknown): ToolCallOut {
  const fn = (call as { function?: { name?: unknown; arguments?: unknown } })?.function ?? {};
  const name = typeof fn.name === 'string' ? fn.name : '';
  let args: unknown = fn.arguments;
  if (typeof args === 'string') {
    try {
      args = JSON.parse(args);
    } catch {
      return { name, arguments: {}, malformed: String(fn.arguments).slice(0, 500) };
    }
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args) || !name) {
    return { name, arguments: {}, malformed: JSON.stringify(fn.arguments ?? null).slice(0, 500) };
  }
  return { name, arguments: args as Record<string, unknown> };
}

/** `model_info` is a plain object over JSON (typed as Map by the client); the key is `<arch>.context_length`. */
function contextLengthOf(info: unknown, parameters: unknown): number {
  const entries =
    info instanceof Map ? [...info.entries()] : Object.entries((info ?? {}) as Record<string, unknown>);
  for (const [key, value] of entries) {
    if (key.endsWith('.context_length') && typeof value === 'number') return value;
  }
  const fromParams = typeof parameters === 'string' ? /(?:^|\n)\s*num_ctx\s+(\d+)/.exec(parameters) : null;
  return fromParams ? Number(fromParams[1]) : 0;
}

function toModelError(err: unknown, model: string, signal?: AbortSignal): TpError {
  if (signal?.aborted) {
    return new TpError(`request to model ${model} aborted`, { code: 'ABORTED', retryable: true, cause: err });
  }
  const status = (err as { status_code?: unknown })?.status_code;
  const message = err instanceof Error ? err.message : String(err);
  if (status === 404 || /not found, try pulling/i.test(message)) {
    return new TpError(`model ${model} not found on the Ollama server`, {
      code: 'MODEL_NOT_FOUND',
      retryable: false,
      cause: err,
      hint: `Run \`ollama pull ${model}\` on the Ollama host, or pick another model.`,
    });
  }
  if (/Did not receive done|terminated|premature close/i.test(message)) {
    return new TpError(`stream from model ${model} ended before it finished: ${message}`, {
      code: 'STREAM_CUT',
      retryable: true,
      cause: err,
    });
  }
  return classify(err);
}
