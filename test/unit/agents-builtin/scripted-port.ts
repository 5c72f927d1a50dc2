import type {
  ChatPort,
  ChatReply,
  ChatRequest,
  ModelInfo,
  ToolCallOut,
} from '../../../src/agents/builtin/index.js';
import type { AgentRunInput } from '../../../src/agents/types.js';
import type { Task } from '../../../src/tasks/types.js';
import { makeTask as baseTask } from '../../helpers/task.js';

type Step = ChatReply | ((req: ChatRequest) => ChatReply | Promise<ChatReply>);

/** An in-memory model: scripted replies in order, every request recorded (deep-copied). */
export class ScriptedPort implements ChatPort {
  readonly requests: Array<Omit<ChatRequest, 'signal' | 'onChunk'>> = [];
  readonly shown: string[] = [];
  constructor(
    private readonly info: ModelInfo,
    private readonly steps: Step[],
    private readonly fallback?: Step,
  ) {}

  async chat(req: ChatRequest): Promise<ChatReply> {
    const { signal: _s, onChunk: _c, ...rest } = req;
    this.requests.push(JSON.parse(JSON.stringify(rest)));
    const step = this.steps.shift() ?? this.fallback;
    if (!step) throw new Error('script exhausted');
    const reply = typeof step === 'function' ? await step(req) : step;
    req.onChunk?.(reply.message.content);
    return reply;
  }

  async show(model: string): Promise<ModelInfo> {
    this.shown.push(model);
    return this.info;
  }
}

export const text = (content: string, promptTokens = 100, completionTokens = 20): ChatReply => ({
  message: { content },
  promptTokens,
  completionTokens,
});

export const calls = (...c: Array<[string, Record<string, unknown>] | ToolCallOut>): ChatReply => ({
  message: {
    content: '',
    toolCalls: c.map((x) => (Array.isArray(x) ? { name: x[0], arguments: x[1] } : x)),
  },
  promptTokens: 100,
  completionTokens: 20,
});

export function makeTask(over: Partial<Task> = {}): Task {
  return baseTask({
    title: 'Rename greeting',
    model: 'ollama/qwen2.5-coder:7b',
    description: 'Change the greeting in src/greet.ts from Hello to Hi.',
    acceptanceCriteria: ['greet() returns "Hi, <name>"'],
    labels: ['small'],
    ...over,
  });
}

export function runInput(workdir: string, over: Partial<AgentRunInput> = {}): AgentRunInput {
  return {
    task: makeTask(),
    workdir,
    model: 'ollama/qwen2.5-coder:7b',
    ollamaHost: 'http://127.0.0.1:1',
    taskFile: '/nonexistent/task-42.md',
    promptFile: '/nonexistent/prompt.md',
    prompt: '',
    budget: { timeoutMs: 20_000 },
    signal: new AbortController().signal,
    ...over,
  };
}
