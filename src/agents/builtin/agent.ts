import { classify, TpError } from '../../errors/index.js';
import type { ChatMessage } from '../../models/index.js';
import { stripProvider } from '../../models/index.js';
import { commandEnv, type ProcessSandbox } from '../../sandbox/index.js';
import type { Agent, AgentResult, AgentRunInput } from '../types.js';
import type { ChatPort } from './chat-port.js';
import { buildContext } from './context.js';
import { chooseMode, fitHistory, messagesTokens, planWindow } from './conversation.js';
import { modelClientPortFactory } from './model-client-port.js';
import { type AgentMode, firstMessage, renderTask, systemPrompt } from './prompt.js';
import { estimateTokens, RepoIndex } from './repo-index.js';
import { parseAllowList } from './run-command.js';
import { Sandbox } from './sandbox.js';
import { type ToolContext, toolSpecs } from './tools/index.js';
import { Turns } from './turns.js';

export interface BuiltinAgentOptions {
  /** The model server, or a factory called with the run's `ollamaHost`. Default: the models domain's Ollama client with `DEFAULT_PORT_TIMEOUTS`. */
  port?: ChatPort | ((host: string) => ChatPort);
  /** `auto` picks from `/api/show` capabilities. Default `auto`. */
  mode?: 'auto' | AgentMode;
  /** Prompt token budget (`agent.contextTokens`). Default 16,384. */
  contextTokens?: number;
  /** Tokens kept free for the reply (`num_predict`). Default 4,096. */
  replyReserveTokens?: number;
  /** Force `num_ctx` (`ollama.numCtx`); still capped by the model's context length. */
  numCtx?: number;
  /** Turn cap when the run's budget has none (`agent.maxIterations`). Default 25. */
  maxIterations?: number;
  /** Prompt+completion token cap when the run's budget has none (`agent.maxTokens`). Default 200,000. */
  maxTokens?: number;
  /** `run_command` allow-list (`agent.allowCommands`); `cmd *` allows extra arguments. */
  allowCommands?: string[];
  commandTimeoutMs?: number;
  /** The service's environment; `run_command` gets only its allow-listed part. Default: empty. */
  env?: Record<string, string | undefined>;
  /** `agent.env`: further variable names `run_command` may see. */
  envNames?: readonly string[];
  /** Confinement of `run_command` (no network, only the worktree writable). */
  sandbox?: ProcessSandbox;
  /** Characters of a single tool result sent back to the model. Default 12,000. */
  maxToolResultChars?: number;
  temperature?: number;
  /** Passed as `keep_alive` (`ollama.keepAlive`). */
  keepAlive?: string;
  /** Structured log line sink (context decisions, trims); the composition root passes its logger. */
  log?: (msg: string, data?: Record<string, unknown>) => void;
}

/** `agent.type: "builtin"`: a tool-calling (or text-edit) loop against Ollama, confined to the worktree. */
/**
 * Timeouts of the default port, for an agent built without one (the composition root always
 * passes its own, from `ollama.timeout`): the same first-token and idle limits it uses.
 */
export const DEFAULT_PORT_TIMEOUTS = { firstTokenMs: 120_000, idleMs: 60_000, totalMs: 600_000 } as const;

export class BuiltinAgent implements Agent {
  readonly name = 'builtin';
  private defaultPorts: ((host: string) => ChatPort) | undefined;

  constructor(private readonly opts: BuiltinAgentOptions = {}) {}

  private portFor(host: string): ChatPort {
    const p = this.opts.port;
    if (!p) {
      this.defaultPorts ??= modelClientPortFactory({ timeouts: DEFAULT_PORT_TIMEOUTS });
      return this.defaultPorts(host);
    }
    return typeof p === 'function' ? p(host) : p;
  }

  /**
   * Runs the loop until the model finishes or a limit is hit. Limits (iterations, tokens,
   * wall clock, the caller's signal) end in `stopReason: 'budget'`; model-server failures are
   * thrown as classified `TpError`s so the pipeline can retry or fall back to another model.
   */
  async run(input: AgentRunInput): Promise<AgentResult> {
    const model = stripProvider(input.model);
    const port = this.portFor(input.ollamaHost);
    const t = new Turns(input, {
      maxIterations: input.budget.maxIterations ?? this.opts.maxIterations ?? 25,
      maxTokens: input.budget.maxTokens ?? this.opts.maxTokens ?? 200_000,
      log: this.opts.log,
    });
    try {
      return await this.loop(input, model, port, t);
    } catch (err) {
      if (t.signal.aborted) return t.budgetResult();
      throw classify(err).withTask(input.task.id);
    } finally {
      t.dispose();
    }
  }

  private async loop(input: AgentRunInput, model: string, port: ChatPort, t: Turns): Promise<AgentResult> {
    const info = await untilAborted(port.show(model, t.signal), t.signal);
    let mode = chooseMode(model, info, this.opts.mode ?? 'auto');
    const win = planWindow(info, {
      contextTokens: this.opts.contextTokens ?? 16_384,
      replyReserve: this.opts.replyReserveTokens ?? 4_096,
      numCtx: this.opts.numCtx,
    });
    for (const n of win.notes) t.note(n);

    const allowList = this.opts.allowCommands ?? [];
    const specs = toolSpecs(allowList);
    const specTokens = estimateTokens(JSON.stringify(specs));
    const system = systemPrompt(mode, allowList);
    const task = renderTask(input.task, input.followUp);
    const index = new RepoIndex(input.workdir);
    const fixed = estimateTokens(system) + estimateTokens(task.text) + specTokens + 300;
    const ctxBudget = win.promptBudget - fixed;
    if (ctxBudget < 0) {
      throw new TpError(
        `the ticket text alone (${fixed} tokens) does not fit the model's window (${win.promptBudget})`,
        {
          code: 'AGENT_BUDGET',
          retryable: false,
          taskId: input.task.id,
          hint: 'Shorten the ticket, raise agent.contextTokens, or use a model with a longer context.',
        },
      );
    }
    const ctx = await buildContext(index, task.plain, { budgetTokens: ctxBudget });
    t.note(
      `context: ${ctx.files.length} files (${ctx.files.map((f) => f.path).join(', ') || 'none'}), map ${ctx.map.detail} ` +
        `(${ctx.map.filesListed}/${ctx.map.filesTotal} files), ${ctx.tokens}/${ctx.budgetTokens} tokens; mode ${mode}, num_ctx ${win.numCtx}`,
      { omitted: ctx.omitted.slice(0, 50), keywords: ctx.keywords },
    );
    t.contextNote = `Context: ${ctx.files.length} files, repository map ${ctx.map.detail}${ctx.omitted.length ? `, ${ctx.omitted.length} candidate files left out for the ${ctx.budgetTokens}-token budget` : ''}.`;
    if (ctx.omitted.length) {
      t.note(
        `context left out ${ctx.omitted.length} files: ${ctx.omitted
          .slice(0, 10)
          .map((o) => `${o.path} (${o.reason})`)
          .join('; ')}`,
      );
    }

    const messages: ChatMessage[] = [
      { role: 'system', content: system },
      { role: 'user', content: firstMessage(task.text, ctx.text, mode) },
    ];
    const sandbox = new Sandbox(input.workdir);
    const toolCtx: ToolContext = {
      sandbox,
      index,
      allowRules: parseAllowList(allowList),
      allowList,
      commandTimeoutMs: this.opts.commandTimeoutMs ?? 120_000,
      env: commandEnv(this.opts.env ?? {}, this.opts.envNames),
      commandSandbox: this.opts.sandbox,
      signal: t.signal,
      maxResultChars: this.opts.maxToolResultChars ?? 12_000,
      changed: t.changed,
    };
    let scale = 1;

    for (;;) {
      if (t.limitHit()) return t.budgetResult();
      const toolsNow = mode === 'tools';
      const budget = win.promptBudget - (toolsNow ? specTokens : 0);
      const trimmed = fitHistory(messages, budget, scale);
      if (trimmed) t.note(trimmed);
      const estimate = messagesTokens(messages) + (toolsNow ? specTokens : 0);
      t.iterations++;
      const reply = await untilAborted(
        port.chat({
          model,
          messages,
          ...(toolsNow ? { tools: specs } : {}),
          options: {
            num_ctx: win.numCtx,
            num_predict: win.reserve,
            ...(this.opts.temperature !== undefined ? { temperature: this.opts.temperature } : {}),
          },
          signal: t.signal,
          ...(this.opts.keepAlive ? { keepAlive: this.opts.keepAlive } : {}),
          onChunk: (c) => t.output(c),
        }),
        t.signal,
      );
      // Learn how far off the chars/token estimate is for this model, so later trims are accurate.
      if (reply.promptTokens > 0 && estimate > 0)
        scale = Math.max(1, Math.min(3, reply.promptTokens / estimate));
      t.addTokens(
        reply.promptTokens || estimate,
        reply.completionTokens || estimateTokens(reply.message.content),
      );

      const outcome =
        toolsNow && reply.message.toolCalls?.length
          ? await t.handleToolCalls(reply.message, messages, toolCtx)
          : await t.handleText(reply.message.content, messages, sandbox, toolsNow);
      if (outcome === 'fallback-to-text') {
        mode = 'text';
        messages[0] = { role: 'system', content: systemPrompt('text', allowList) };
        t.note('malformed tool call: switching to the text edit format for the rest of the run');
        continue;
      }
      if (outcome !== 'continue') return t.finishResult(outcome.summary);
    }
  }
}

/** Settles when the promise does or the signal aborts, so a port that ignores its signal cannot hold the loop. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
