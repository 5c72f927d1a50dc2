import type { ModelEventName, TaggedEvent } from '../events/index.js';

/** A tool the model may call, in Ollama's `/api/chat` shape. */
export interface ToolDefinition {
  type: 'function';
  function: {
    name: string;
    description?: string;
    parameters?: Record<string, unknown>;
  };
}

/** A tool call as returned by the model; `arguments` is whatever the model produced. */
export interface ToolCall {
  name: string;
  arguments: unknown;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  toolCalls?: ToolCall[];
  /** For `role: 'tool'`: the tool whose result this message carries. */
  toolName?: string;
}

/** Limits for one streamed chat request; each one aborts the HTTP request when it fires. */
export interface ChatTimeouts {
  /** From sending the request to the first streamed chunk (covers model load time). */
  firstTokenMs: number;
  /** Longest silence between two chunks once streaming started. */
  idleMs: number;
  /** Whole request, start to `done`. */
  totalMs: number;
}

export interface ChatChunk {
  content: string;
  thinking?: string;
  toolCalls?: ToolCall[];
}

export interface ChatRequest {
  /** Any spelling: `ollama/x`, `x`, `x:tag`. */
  model: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  /** `'json'` or a JSON schema for structured output. */
  format?: 'json' | Record<string, unknown>;
  /**
   * Context window for this request. Always sent as `options.num_ctx`: when omitted it is the
   * model's context length from `/api/show` (capped by the client's `maxNumCtx`), because
   * Ollama's default silently truncates long prompts.
   */
  numCtx?: number;
  /** Other Ollama sampling options (temperature, seed, stop, …). */
  options?: Record<string, unknown>;
  keepAlive?: string | number;
  signal?: AbortSignal;
  /** Called for every streamed chunk, e.g. to show progress. */
  onChunk?: (chunk: ChatChunk) => void;
  /** Per-request override of the client's timeouts. */
  timeouts?: Partial<ChatTimeouts>;
}

export interface ChatResult {
  /** Canonical model name that answered. */
  model: string;
  content: string;
  thinking?: string;
  toolCalls: ToolCall[];
  doneReason: string | undefined;
  promptTokens: number | undefined;
  completionTokens: number | undefined;
  /** The `num_ctx` the request was sent with. */
  numCtx: number;
  durationMs: number;
}

/** One entry of `/api/tags`. */
export interface ModelListEntry {
  /** Canonical name (`name:tag`). */
  name: string;
  sizeBytes: number | undefined;
  family: string | undefined;
  parameterSize: string | undefined;
  /**
   * Digest of the model's manifest (`/api/tags` `digest`): it changes whenever the weights,
   * template or parameters change, so it identifies exactly what answers. `/api/show` has no
   * such field. Optional because other backends and test doubles may not know it.
   */
  digest?: string;
}

/** What `/api/show` says about a model. */
export interface ModelDetails {
  name: string;
  /** `model_info['<arch>.context_length']`, when the server reports it. */
  contextLength: number | undefined;
  /** e.g. `['completion', 'tools']`. */
  capabilities: string[];
  family: string | undefined;
}

/**
 * One Ollama host. Every method throws only `TpError`s, classified by `classifyModelError`.
 */
export interface ModelClient {
  /** Base URL without credentials (safe to log). */
  readonly url: string;
  chat(request: ChatRequest): Promise<ChatResult>;
  list(signal?: AbortSignal): Promise<ModelListEntry[]>;
  show(model: string, signal?: AbortSignal): Promise<ModelDetails>;
  version(signal?: AbortSignal): Promise<string>;
  /**
   * Loads `model` into memory without generating (an empty `/api/generate`) and keeps it for
   * `keepAlive` (`0` unloads). Optional: clients that cannot preload are skipped by warm-up.
   */
  load?(model: string, keepAlive: string | number, signal?: AbortSignal): Promise<LoadResult>;
}

/** What a load request reports. */
export interface LoadResult {
  /** Canonical model name. */
  model: string;
  /** `load` or `unload`, as Ollama reports it in `done_reason`. */
  doneReason: string | undefined;
  durationMs: number;
}

export type BreakerState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

/**
 * Events of the models domain, in the tagged form the router emits. Their payloads are
 * defined once, in `TpEvents`; the composition root forwards them to the event bus
 * (`EventBus.emitTagged`), where logs and metrics see them.
 */
export type ModelEvent = TaggedEvent<Exclude<ModelEventName, 'model.skipped'>>;

export type ModelEventListener = (event: ModelEvent) => void;
