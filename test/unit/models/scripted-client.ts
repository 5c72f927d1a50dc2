import { TpError } from '../../../src/errors/index.js';
import {
  type ChatRequest,
  type ChatResult,
  canonicalModel,
  type ModelClient,
  type ModelDetails,
  type ModelListEntry,
} from '../../../src/models/index.js';

/** A call the scripted client received, with what the test wants to know about that moment. */
export interface SeenCall {
  method: 'chat' | 'list' | 'version' | 'show';
  model?: string;
  at: number;
  /** Whatever `observe()` returned when the call arrived (e.g. the breaker state). */
  observed?: string;
}

/**
 * A `ModelClient` test double (the interface, not HTTP): `up` decides whether calls reach a
 * "server"; `chatFailures` scripts errors for the next chats; everything is recorded.
 */
export class ScriptedClient implements ModelClient {
  up = true;
  calls: SeenCall[] = [];
  chatFailures: TpError[] = [];
  observe: () => string | undefined = () => undefined;

  constructor(
    readonly url: string,
    public models: string[],
  ) {}

  private arrive(method: SeenCall['method'], model?: string): void {
    this.calls.push({ method, at: Date.now(), observed: this.observe(), ...(model ? { model } : {}) });
    if (!this.up) {
      throw new TpError(`Ollama ${this.url}: connect ECONNREFUSED`, {
        code: 'NETWORK',
        retryable: true,
        details: { host: this.url },
      });
    }
  }

  async chat(request: ChatRequest): Promise<ChatResult> {
    this.arrive('chat', request.model);
    const failure = this.chatFailures.shift();
    if (failure) throw failure;
    if (!this.models.includes(canonicalModel(request.model))) {
      throw new TpError('not found', { code: 'MODEL_NOT_FOUND', retryable: false });
    }
    return {
      model: canonicalModel(request.model),
      content: `hello from ${this.url}`,
      toolCalls: [],
      doneReason: 'stop',
      promptTokens: 1,
      completionTokens: 1,
      numCtx: request.numCtx ?? 4096,
      durationMs: 0,
    };
  }

  async list(): Promise<ModelListEntry[]> {
    this.arrive('list');
    return this.models.map((name) => ({ name, sizeBytes: 1, family: undefined, parameterSize: undefined }));
  }

  async show(model: string): Promise<ModelDetails> {
    this.arrive('show', model);
    return {
      name: canonicalModel(model),
      contextLength: 8192,
      capabilities: ['completion'],
      family: undefined,
    };
  }

  async version(): Promise<string> {
    this.arrive('version');
    return '0.0.0-test';
  }

  count(method: SeenCall['method']): number {
    return this.calls.filter((c) => c.method === method).length;
  }
}
