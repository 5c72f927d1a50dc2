/**
 * Reads the `--format json` event stream of Kilo / OpenCode (`kilo run`, `opencode run`): one
 * JSON object per stdout line (`step_start`, `text`, `tool_use`, `step_finish`, `error`).
 * Lines that are not JSON (banners, warnings) are ignored, never fatal.
 */
export interface AgentErrorEvent {
  name: string | undefined;
  message: string;
  statusCode: number | undefined;
  /** The tool's own verdict (`data.isRetryable`), when it gives one. */
  retryable: boolean | undefined;
}

export interface JsonEventSummary {
  steps: number;
  toolCalls: number;
  /** Tool names in call order, for the run summary. */
  tools: string[];
  /** Tool calls that ended in `error` state. */
  toolErrors: number;
  tokens: { prompt: number; completion: number };
  /** The last assistant text (usually the model's own summary). */
  lastText: string;
  errors: AgentErrorEvent[];
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export class JsonEventParser {
  private buffer = '';
  readonly summary: JsonEventSummary = {
    steps: 0,
    toolCalls: 0,
    tools: [],
    toolErrors: 0,
    tokens: { prompt: 0, completion: 0 },
    lastText: '',
    errors: [],
  };

  /** Feed raw stdout; complete lines are parsed, a partial last line waits for more. */
  push(chunk: string): void {
    this.buffer += chunk;
    let nl = this.buffer.indexOf('\n');
    while (nl >= 0) {
      this.line(this.buffer.slice(0, nl));
      this.buffer = this.buffer.slice(nl + 1);
      nl = this.buffer.indexOf('\n');
    }
  }

  /** Parse whatever is left when the stream ends. */
  end(): JsonEventSummary {
    if (this.buffer.trim() !== '') this.line(this.buffer);
    this.buffer = '';
    return this.summary;
  }

  private line(raw: string): void {
    const text = raw.trim();
    if (!text.startsWith('{')) return;
    let ev: Json | undefined;
    try {
      ev = obj(JSON.parse(text));
    } catch {
      return;
    }
    if (!ev) return;
    const part = obj(ev.part);
    const s = this.summary;
    switch (ev.type) {
      case 'step_start':
        s.steps += 1;
        break;
      case 'text': {
        const t = str(part?.text);
        if (t?.trim()) s.lastText = t.trim();
        break;
      }
      case 'tool_use': {
        s.toolCalls += 1;
        s.tools.push(str(part?.tool) ?? 'unknown');
        if (obj(part?.state)?.status === 'error') s.toolErrors += 1;
        break;
      }
      case 'step_finish': {
        const tokens = obj(part?.tokens);
        s.tokens.prompt += num(tokens?.input);
        s.tokens.completion += num(tokens?.output) + num(tokens?.reasoning);
        break;
      }
      case 'error':
        s.errors.push(errorOf(ev.error ?? part?.error ?? ev));
        break;
    }
  }
}

function errorOf(raw: unknown): AgentErrorEvent {
  const e = obj(raw);
  const data = obj(e?.data);
  const message =
    str(data?.message) ?? str(e?.message) ?? (typeof raw === 'string' ? raw : JSON.stringify(raw));
  const status = data?.statusCode ?? e?.statusCode ?? e?.status;
  return {
    name: str(e?.name),
    message,
    statusCode: typeof status === 'number' ? status : undefined,
    retryable: typeof data?.isRetryable === 'boolean' ? data.isRetryable : undefined,
  };
}
