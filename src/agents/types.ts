import type { Task } from '../tasks/types.js';

/** Why an agent run ended. */
export type StopReason = 'done' | 'no-change' | 'budget' | 'error';

export interface AgentBudget {
  /** Wall-clock limit for the whole run. */
  timeoutMs: number;
  maxIterations?: number;
  maxTokens?: number;
}

export interface AgentRunInput {
  task: Task;
  /** Absolute path of the task's worktree; the agent works here and nowhere else. */
  workdir: string;
  /** Model name without provider prefix, e.g. `deepseek-coder`. */
  model: string;
  /** Ollama base URL chosen for this run. */
  ollamaHost: string;
  /** Task file path (for agents that want to read it themselves). */
  taskFile: string;
  /** File holding the rendered prompt (outside the worktree). */
  promptFile: string;
  prompt: string;
  budget: AgentBudget;
  signal: AbortSignal;
  /** Extra instructions for a follow-up run (verify output, PR comment). */
  followUp?: string;
  onOutput?: (chunk: string) => void;
}

export interface AgentResult {
  stopReason: StopReason;
  /** Human-readable summary of what the agent did or why it stopped. */
  summary: string;
  /** Tail of the agent's output, for error logs. */
  outputTail: string;
  tokens?: { prompt: number; completion: number };
  iterations?: number;
}

/** An agent turns a task and a worktree into file changes. Built-in and CLI agents implement it. */
export interface Agent {
  readonly name: string;
  run(input: AgentRunInput): Promise<AgentResult>;
}
