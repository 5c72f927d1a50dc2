import type { ChatMessage } from '../../models/index.js';
import type { AgentResult, AgentRunInput } from '../types.js';
import type { ToolCallOut } from './chat-port.js';
import { applyEdits } from './edits.js';
import type { Sandbox } from './sandbox.js';
import { parseTextReply, TEXT_FORMAT_HELP } from './text-format.js';
import { runTool, type ToolContext } from './tools/index.js';

export type TurnOutcome = 'continue' | 'fallback-to-text' | { summary: string };

const TAIL_CHARS = 8_000;

/**
 * The state of one agent run: limits and the deadline, counters, files changed, the output
 * tail, and the handling of each model reply. Kept apart from the loop so each piece stays small.
 */
export class Turns {
  iterations = 0;
  promptTokens = 0;
  completionTokens = 0;
  readonly changed = new Set<string>();
  /** One line on what the prompt context held and left out, appended to every summary. */
  contextNote = '';
  private tail = '';
  private lastAction = 'nothing yet';
  private nudged = false;
  private readonly started = Date.now();
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private timedOut = false;
  private readonly onAbort: () => void;

  constructor(
    private readonly input: AgentRunInput,
    private readonly limits: {
      maxIterations: number;
      maxTokens: number;
      log?: (msg: string, data?: Record<string, unknown>) => void;
    },
  ) {
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(new Error('wall-clock budget reached'));
    }, input.budget.timeoutMs);
    this.onAbort = () => this.controller.abort(input.signal.reason);
    if (input.signal.aborted) this.onAbort();
    else input.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Aborts on the wall-clock deadline or when the caller's signal fires. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.input.signal.removeEventListener('abort', this.onAbort);
  }

  output(text: string): void {
    this.tail = (this.tail + text).slice(-TAIL_CHARS);
    this.input.onOutput?.(text);
  }

  note(msg: string, data?: Record<string, unknown>): void {
    this.limits.log?.(msg, data);
    this.output(`\n[builtin] ${msg}\n`);
  }

  addTokens(prompt: number, completion: number): void {
    this.promptTokens += prompt;
    this.completionTokens += completion;
  }

  /** The limit that is hit, if any, as a phrase for the summary. */
  private limitName(): string | undefined {
    if (this.timedOut) return `wall-clock limit of ${this.input.budget.timeoutMs} ms reached`;
    if (this.controller.signal.aborted) return 'run cancelled by the caller (abort signal)';
    if (this.iterations >= this.limits.maxIterations)
      return `iteration cap of ${this.limits.maxIterations} turns reached`;
    const used = this.promptTokens + this.completionTokens;
    if (used >= this.limits.maxTokens) return `token cap of ${this.limits.maxTokens} reached (${used} used)`;
    return undefined;
  }

  limitHit(): boolean {
    return this.limitName() !== undefined;
  }

  private progress(): string {
    const secs = ((Date.now() - this.started) / 1000).toFixed(1);
    const files = this.changed.size ? [...this.changed].join(', ') : 'none';
    return `${this.iterations} turns, ${secs}s, ${this.promptTokens + this.completionTokens} tokens; files changed so far: ${files}; last step: ${this.lastAction}`;
  }

  private result(stopReason: AgentResult['stopReason'], summary: string): AgentResult {
    return {
      stopReason,
      summary: this.contextNote ? `${summary}\n${this.contextNote}` : summary,
      outputTail: this.tail,
      tokens: { prompt: this.promptTokens, completion: this.completionTokens },
      iterations: this.iterations,
    };
  }

  budgetResult(): AgentResult {
    const why = this.limitName() ?? 'a limit was reached';
    this.note(`stopped: ${why}`);
    return this.result('budget', `Stopped: ${why}. Done so far: ${this.progress()}.`);
  }

  finishResult(modelSummary: string): AgentResult {
    const files = [...this.changed];
    if (!files.length) {
      return this.result('no-change', `The model finished without changing any file. ${modelSummary}`.trim());
    }
    return this.result(
      'done',
      `${modelSummary.trim() || 'Changes made.'}\nChanged files: ${files.join(', ')}`,
    );
  }

  /** Tools mode: run each call in order; a malformed call switches the run to text mode. */
  async handleToolCalls(
    msg: { content: string; toolCalls?: ToolCallOut[] },
    messages: ChatMessage[],
    ctx: ToolContext,
  ): Promise<TurnOutcome> {
    const calls = msg.toolCalls ?? [];
    if (calls.some((c) => c.malformed !== undefined)) {
      messages.push({ role: 'assistant', content: msg.content });
      messages.push({
        role: 'user',
        content: `Your tool call could not be read (its arguments were not a JSON object), so nothing was done. Tools are now off; continue in the text edit format.\n${TEXT_FORMAT_HELP}`,
      });
      this.lastAction = 'malformed tool call';
      return 'fallback-to-text';
    }
    messages.push({
      role: 'assistant',
      content: msg.content,
      toolCalls: calls.map((c) => ({ name: c.name, arguments: c.arguments })),
    });
    for (const call of calls) {
      this.output(`\n[tool] ${call.name} ${JSON.stringify(call.arguments).slice(0, 300)}\n`);
      this.lastAction = `${call.name} ${describeArgs(call.arguments)}`;
      const out = await runTool(call.name, call.arguments, ctx);
      if (out.kind === 'finish') return { summary: out.summary };
      this.output(`${out.text.slice(0, 500)}\n`);
      messages.push({ role: 'tool', toolName: call.name, content: out.text });
    }
    return 'continue';
  }

  /** Text mode (or a tools-mode reply without calls): parse edit blocks, apply all or nothing. */
  async handleText(
    content: string,
    messages: ChatMessage[],
    sandbox: Sandbox,
    toolsMode: boolean,
  ): Promise<TurnOutcome> {
    messages.push({ role: 'assistant', content });
    const parsed = parseTextReply(content);
    if (parsed.errors.length) {
      this.lastAction = 'rejected a malformed reply';
      messages.push({
        role: 'user',
        content: `Your reply was rejected and nothing was changed:\n- ${parsed.errors.join('\n- ')}\nSend the corrected blocks.`,
      });
      return 'continue';
    }
    if (parsed.edits.length) {
      const res = await applyEdits(sandbox, parsed.edits);
      if (!res.ok) {
        this.lastAction = 'rejected edits that did not apply';
        this.output(`\n[edit] rejected: ${res.errors.join('; ')}\n`);
        messages.push({
          role: 'user',
          content: `Nothing was changed:\n- ${res.errors.join('\n- ')}\nSend corrected blocks.`,
        });
        return 'continue';
      }
      for (const p of res.changed) this.changed.add(p);
      this.lastAction = `edited ${res.changed.join(', ') || '(no difference)'}`;
      this.output(`\n[edit] applied: ${res.changed.join(', ') || 'no difference'}\n`);
      if (parsed.done) return { summary: parsed.summary };
      const more = toolsMode ? 'call finish' : 'reply DONE: <summary>';
      messages.push({
        role: 'user',
        content: `Applied; changed: ${res.changed.join(', ') || 'nothing (identical)'}. If the ticket is complete, ${more}; otherwise send more edits.`,
      });
      return 'continue';
    }
    if (parsed.reads.length && !toolsMode) {
      const parts: string[] = [];
      for (const p of parsed.reads.slice(0, 5)) {
        const f = await sandbox.read(p).catch((err: Error) => ({ rel: p, text: `error: ${err.message}` }));
        parts.push(
          f ? `### ${f.rel}\n\`\`\`\`\n${f.text.slice(0, 24_000)}\n\`\`\`\`` : `### ${p}\n(does not exist)`,
        );
      }
      this.lastAction = `read ${parsed.reads.join(', ')}`;
      messages.push({ role: 'user', content: parts.join('\n\n') });
      return 'continue';
    }
    if (parsed.done || this.nudged) return { summary: parsed.summary };
    this.nudged = true;
    messages.push({
      role: 'user',
      content: toolsMode
        ? 'Use the tools to make the change, then call finish (call finish now if nothing needs to change).'
        : 'Reply with edit blocks, or with DONE: <summary> if nothing needs to change.',
    });
    return 'continue';
  }
}

function describeArgs(args: Record<string, unknown>): string {
  const p = args.path ?? args.command ?? args.query;
  return typeof p === 'string' ? p.slice(0, 80) : '';
}
