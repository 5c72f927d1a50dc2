import { type ProcessSandbox, runProcess } from '../../sandbox/index.js';
import type { Agent, AgentResult, AgentRunInput } from '../types.js';
import { agentConfinement } from './cli-run.js';
import { type AgentEnvOptions, agentEnv } from './env.js';
import { lastLine, processFailure, tailOf } from './outcome.js';
import { renderCommandTemplate } from './shell-template.js';

export interface CommandAgentOptions extends AgentEnvOptions {
  /** Shell template (`agent.command`), e.g. `aider --model ollama_chat/{model} --message-file {promptFile}`. */
  command: string;
  /** Base environment for the child (the composition root passes `process.env`). */
  env: Record<string, string | undefined>;
  /** Combined output kept in memory. Default 1 MiB. */
  maxOutputBytes?: number;
  /** SIGTERM → SIGKILL grace. Default 5000 ms. */
  killGraceMs?: number;
  /** Shown in messages; default `command`. */
  name?: string;
  /** Confinement of the command (the composition root passes the project's sandbox). */
  sandbox?: ProcessSandbox;
}

/**
 * `agent.type: "command"`: any program, described by a shell template, run in the task's
 * worktree. Values are substituted shell-quoted and also passed as `TP_*` environment
 * variables, which are the safer way to use them in scripts.
 */
export class CommandAgent implements Agent {
  readonly name: string;

  constructor(private readonly opts: CommandAgentOptions) {
    if (opts.command.trim() === '') throw new TypeError('CommandAgent needs a non-empty command template');
    this.name = opts.name ?? 'command';
  }

  async run(input: AgentRunInput): Promise<AgentResult> {
    const command = renderCommandTemplate(this.opts.command, {
      model: input.model,
      promptFile: input.promptFile,
      taskFile: input.taskFile,
      workdir: input.workdir,
      taskId: input.task.id,
      ollamaHost: input.ollamaHost,
    });
    const res = await runProcess({
      command,
      cwd: input.workdir,
      env: agentEnv(this.opts.env, input, this.opts),
      sandbox: agentConfinement(this.opts.sandbox, input),
      timeoutMs: input.budget.timeoutMs,
      signal: input.signal,
      onOutput: input.onOutput ? (chunk) => input.onOutput?.(chunk) : undefined,
      maxOutputBytes: this.opts.maxOutputBytes,
      killGraceMs: this.opts.killGraceMs,
    });
    const binary = this.opts.command.trim().split(/\s+/)[0] ?? this.opts.command;
    const failure = processFailure(res, {
      agent: this.name,
      taskId: input.task.id,
      binary,
      notFoundHint: `Install \`${binary}\` and put it on PATH, or fix agent.command.`,
      timeoutMs: input.budget.timeoutMs,
    });
    if (failure) throw failure;
    const last = lastLine(res.output);
    return {
      stopReason: 'done',
      summary: `${this.name} finished in ${(res.durationMs / 1000).toFixed(1)} s${last ? `: ${last}` : ''}`,
      outputTail: tailOf(res.output),
    };
  }
}
