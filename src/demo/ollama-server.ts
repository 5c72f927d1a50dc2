import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One model the simulated server lists, shows and "runs". */
export interface SimulatedModel {
  name: string;
  contextLength: number;
  /** Ollama capability names; `tools` makes the built-in agent use native tool calls. */
  capabilities: string[];
}

/** A chat message as Ollama receives it on `/api/chat` (only the fields the demo reads). */
export interface WireMessage {
  role: string;
  content: string;
  tool_calls?: unknown;
}

/** What the scripted model answers to one `/api/chat` request. */
export interface SimulatedReply {
  content?: string;
  toolCalls?: Array<{ name: string; arguments: Record<string, unknown> }>;
}

/** A running simulated Ollama. */
export interface SimulatedOllamaServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  close(): Promise<void>;
}

/**
 * A minimal Ollama for the demo: just the endpoints a built-in agent run touches (`/api/version`,
 * `/api/tags`, `/api/show`, an empty `/api/generate` for warm-up, and streamed `/api/chat`), in
 * Ollama's native wire shapes so the real `ollama` client reads them. It lives in `src/` because
 * the demo ships in `dist/`; the tests' fault-injecting fake stays in `test/fixtures/`.
 */
export async function startOllamaServer(
  model: SimulatedModel,
  respond: (messages: WireMessage[]) => SimulatedReply,
): Promise<SimulatedOllamaServer> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    handle(req, res, model, respond).catch((err: unknown) => {
      sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        // Keep-alive sockets would hold close() open until they time out.
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  model: SimulatedModel,
  respond: (messages: WireMessage[]) => SimulatedReply,
): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const body = req.method === 'POST' ? await readJson(req) : {};
  const asked = typeof body.model === 'string' ? body.model : '';
  if (path === '/api/version') return sendJson(res, 200, { version: '0.0.0-demo' });
  if (path === '/api/tags') return sendJson(res, 200, { models: [tagEntry(model)] });
  if (path !== '/api/show' && path !== '/api/generate' && path !== '/api/chat') {
    return sendJson(res, 404, { error: `${path} is not simulated` });
  }
  if (!sameModel(asked, model.name)) {
    return sendJson(res, 404, { error: `model "${asked}" not found, try pulling it first` });
  }
  if (path === '/api/show') return sendJson(res, 200, showBody(model));
  const createdAt = new Date().toISOString();
  if (path === '/api/generate') {
    return sendJson(res, 200, {
      model: model.name,
      created_at: createdAt,
      response: '',
      done: true,
      done_reason: 'load',
    });
  }
  const messages = Array.isArray(body.messages) ? (body.messages as WireMessage[]) : [];
  const reply = respond(messages);
  const content = reply.content ?? '';
  const toolCalls = (reply.toolCalls ?? []).map((c, index) => ({ function: { index, ...c } }));
  const numCtx = Number((body.options as { num_ctx?: unknown } | undefined)?.num_ctx) || model.contextLength;
  const promptTokens = Math.min(tokens(messages.map((m) => m.content).join('\n')), numCtx);
  const evalTokens = tokens(content + JSON.stringify(reply.toolCalls ?? []));
  const message = { role: 'assistant', content, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) };
  const final = {
    model: model.name,
    created_at: createdAt,
    done: true,
    done_reason: 'stop',
    prompt_eval_count: promptTokens,
    eval_count: evalTokens,
  };
  if (body.stream === false) return sendJson(res, 200, { ...final, message });
  res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
  res.write(`${JSON.stringify({ model: model.name, created_at: createdAt, message, done: false })}\n`);
  res.end(`${JSON.stringify({ ...final, message: { role: 'assistant', content: '' } })}\n`);
}

/** Ollama's rule: a name without a tag means `:latest`. */
function sameModel(asked: string, served: string): boolean {
  const norm = (n: string) => (n.includes(':') ? n : `${n}:latest`);
  return norm(asked) === norm(served);
}

/** Roughly four characters per token, like the agent's own estimate. */
function tokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function tagEntry(model: SimulatedModel) {
  return {
    name: model.name,
    model: model.name,
    modified_at: new Date(0).toISOString(),
    size: 4_683_087_332,
    digest: 'demo'.padEnd(64, '0'),
    details: {
      format: 'gguf',
      family: 'qwen2',
      families: ['qwen2'],
      parameter_size: '7B',
      quantization_level: 'Q4_K_M',
    },
  };
}

function showBody(model: SimulatedModel) {
  return {
    modelfile: `FROM ${model.name}\n`,
    template: '{{ .Prompt }}',
    details: tagEntry(model).details,
    model_info: { 'general.architecture': 'qwen2', 'qwen2.context_length': model.contextLength },
    capabilities: model.capabilities,
  };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return {};
  const value: unknown = JSON.parse(text);
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}
