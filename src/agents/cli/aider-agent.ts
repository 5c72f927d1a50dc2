import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripProvider } from '../../models/index.js';
import type { Agent, AgentResult, AgentRunInput } from '../types.js';
import { type BinaryOptions, runCliAgent } from './cli-run.js';
import { type AgentEnvOptions, agentEnv, normalizeOllamaHost } from './env.js';
import { lastLine, tailOf } from './outcome.js';

export interface AiderAgentOptions extends AgentEnvOptions, BinaryOptions {
  env: Record<string, string | undefined>;
  /** Extra aider arguments (e.g. `['--edit-format', 'whole']` for weak models). */
  extraArgs?: readonly string[];
}

export const AIDER_INSTALL = 'python -m pip install aider-install && aider-install';

/**
 * `agent.type: "aider"`: Aider with an Ollama chat model (`ollama_chat/<model>`, endpoint from
 * `OLLAMA_API_BASE`). Commits are left to the pipeline (`--no-auto-commits`), every question is
 * answered yes, and Aider's history files are kept out of the worktree so they can't be committed.
 */
export class AiderAgent implements Agent {
  readonly name = 'aider';

  constructor(private readonly opts: AiderAgentOptions) {}

  async run(input: AgentRunInput): Promise<AgentResult> {
    // Aider writes its chat/input history into the repo by default; a private temp dir keeps
    // the worktree clean. The prompt file already holds any follow-up (pipeline/prompt.ts).
    const state = await mkdtemp(join(tmpdir(), 'tp-aider-'));
    try {
      const messageFile = input.promptFile;
      const { res, failure } = await runCliAgent(input, {
        ...this.opts,
        agent: this.name,
        binary: 'aider',
        install: AIDER_INSTALL,
        searchEnv: this.opts.env,
        env: agentEnv(this.opts.env, input, this.opts, {
          OLLAMA_API_BASE: normalizeOllamaHost(input.ollamaHost),
        }),
        // Its history files and the combined prompt live here, outside the worktree.
        writable: [state],
        args: [
          '--model',
          `ollama_chat/${stripProvider(input.model)}`,
          '--message-file',
          messageFile,
          '--yes-always',
          '--no-auto-commits',
          '--no-check-update',
          '--no-show-release-notes',
          '--no-show-model-warnings',
          '--no-analytics',
          '--no-pretty',
          '--no-fancy-input',
          '--no-gitignore',
          '--chat-history-file',
          join(state, 'chat.history.md'),
          '--input-history-file',
          join(state, 'input.history'),
          ...(this.opts.extraArgs ?? []),
        ],
      });
      if (failure) throw failure;
      const last = lastLine(res.output);
      return {
        stopReason: 'done',
        summary: `aider finished in ${(res.durationMs / 1000).toFixed(1)} s${last ? `: ${last}` : ''}`,
        outputTail: tailOf(res.output),
      };
    } finally {
      await rm(state, { recursive: true, force: true });
    }
  }
}
