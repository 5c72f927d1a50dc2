import { TpError } from '../../errors/index.js';
import { stripProvider } from '../../models/index.js';
import type { Agent, AgentResult, AgentRunInput } from '../types.js';
import { type BinaryOptions, runCliAgent, safePositional } from './cli-run.js';
import { type AgentEnvOptions, agentEnv, normalizeOllamaHost } from './env.js';
import { lastLine, tailOf } from './outcome.js';
import { looksTransient } from './transient.js';

export interface CodexAgentOptions extends AgentEnvOptions, BinaryOptions {
  env: Record<string, string | undefined>;
  /** Extra arguments placed before the prompt. */
  extraArgs?: readonly string[];
}

export const CODEX_INSTALL = 'npm i -g @openai/codex';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

interface CodexSummary {
  tokens: { prompt: number; completion: number };
  turns: number;
  lastMessage: string;
  errors: string[];
}

/**
 * Reads `codex exec --json` JSONL: `turn.completed` carries `usage`, `item.completed` with an
 * `agent_message` item carries the model's text, `error` / `turn.failed` carry failures.
 * Unknown event types are ignored so newer Codex versions keep working.
 */
export function parseCodexEvents(stdout: string): CodexSummary {
  const s: CodexSummary = { tokens: { prompt: 0, completion: 0 }, turns: 0, lastMessage: '', errors: [] };
  for (const line of stdout.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    let ev: Json | undefined;
    try {
      ev = obj(JSON.parse(t));
    } catch {
      continue;
    }
    if (!ev) continue;
    const item = obj(ev.item);
    if (ev.type === 'turn.completed') {
      const usage = obj(ev.usage);
      s.turns += 1;
      s.tokens.prompt += num(usage?.input_tokens);
      s.tokens.completion += num(usage?.output_tokens);
    } else if (ev.type === 'item.completed' && item?.type === 'agent_message') {
      if (typeof item.text === 'string') s.lastMessage = item.text.trim();
    } else if (ev.type === 'error' && typeof ev.message === 'string') {
      s.errors.push(ev.message);
    } else if (ev.type === 'turn.failed') {
      const m = obj(ev.error)?.message;
      s.errors.push(typeof m === 'string' ? m : 'turn failed');
    }
  }
  return s;
}

/**
 * `agent.type: "codex"`: OpenAI Codex CLI in `--oss` mode against Ollama
 * (`CODEX_OSS_BASE_URL`), non-interactive (`exec`), sandboxed to the worktree (`--full-auto`).
 */
export class CodexAgent implements Agent {
  readonly name = 'codex';

  constructor(private readonly opts: CodexAgentOptions) {}

  async run(input: AgentRunInput): Promise<AgentResult> {
    const model = stripProvider(input.model);
    // The prompt already holds any follow-up (pipeline/prompt.ts); appending it again doubled it.
    const prompt = input.prompt;
    let stdout = '';
    const { res, failure } = await runCliAgent(input, {
      ...this.opts,
      agent: this.name,
      binary: 'codex',
      install: CODEX_INSTALL,
      searchEnv: this.opts.env,
      env: agentEnv(this.opts.env, input, this.opts, {
        CODEX_OSS_BASE_URL: `${normalizeOllamaHost(input.ollamaHost)}/v1`,
      }),
      args: [
        'exec',
        '--oss',
        '--local-provider',
        'ollama',
        '-m',
        model,
        '-C',
        input.workdir,
        '--full-auto',
        '--skip-git-repo-check',
        '--json',
        ...(this.opts.extraArgs ?? []),
        safePositional(prompt),
      ],
      // Only the JSONL is parsed; bounded like the output tail so a chatty run stays small.
      onStdout: (chunk) => {
        stdout += chunk;
        if (stdout.length > 4_000_000) stdout = stdout.slice(-2_000_000);
      },
    });
    const summary = parseCodexEvents(stdout);
    const outputTail = tailOf(res.output);
    const lastError = summary.errors.at(-1);
    if (lastError && (!failure || failure.code === 'AGENT_FAILED')) {
      const transient = looksTransient(lastError);
      throw new TpError(`codex agent: ${lastError}`, {
        code: transient ? 'MODEL_UNAVAILABLE' : 'AGENT_FAILED',
        retryable: transient,
        taskId: input.task.id,
        details: { exitCode: res.exitCode, outputTail },
      });
    }
    if (failure) throw failure;
    const text = summary.lastMessage || lastLine(res.output);
    return {
      stopReason: 'done',
      summary: `codex finished in ${(res.durationMs / 1000).toFixed(1)} s (${summary.turns} turns)${text ? `: ${text.slice(0, 300)}` : ''}`,
      outputTail,
      tokens: summary.tokens,
      iterations: summary.turns,
    };
  }
}
