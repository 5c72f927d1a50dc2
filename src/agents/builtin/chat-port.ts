import type { ChatMessage } from '../../models/index.js';

/**
 * The built-in agent's only view of a model server. The agent depends on this interface, not on
 * the `ollama` client, so tests drive it with in-memory fakes and the composition root can swap
 * in a resilient client (retry, breaker, routing) from `src/models` without touching the loop.
 */

/** A JSON-schema tool definition in Ollama's native `/api/chat` shape. */
export interface ToolSpec {
  type: 'function';
  function: {
    name: string;
    description: string;
    parameters: Record<string, unknown>;
  };
}

/** A tool call as the model produced it. `malformed` is set when the arguments were not an object. */
export interface ToolCallOut {
  name: string;
  arguments: Record<string, unknown>;
  /** Raw arguments when they could not be read as a JSON object (the call is unusable). */
  malformed?: string;
}

export interface ChatOptions {
  /** Context window for this request; always set so Ollama never falls back to its small default. */
  num_ctx: number;
  /** Cap on reply tokens, so prompt + reply stay inside `num_ctx`. */
  num_predict?: number;
  temperature?: number;
}

export interface ChatRequest {
  model: string;
  /** The models domain's message shape, so the history goes to the client without conversion. */
  messages: ChatMessage[];
  tools?: ToolSpec[];
  options: ChatOptions;
  signal: AbortSignal;
  /** How long the server keeps the model loaded afterwards (`ollama.keepAlive`, e.g. `10m`). */
  keepAlive?: string;
  /** Called with each streamed content fragment as it arrives. */
  onChunk?: (text: string) => void;
}

export interface ChatReply {
  message: { content: string; toolCalls?: ToolCallOut[] };
  promptTokens: number;
  completionTokens: number;
}

export interface ModelInfo {
  /** The model's trained context length (0 when the server did not say). */
  contextLength: number;
  /** Ollama capability names, e.g. `completion`, `tools`; empty when the server is too old to say. */
  capabilities: string[];
}

/** What the built-in agent needs from a model server. */
export interface ChatPort {
  chat(req: ChatRequest): Promise<ChatReply>;
  show(model: string, signal?: AbortSignal): Promise<ModelInfo>;
}
