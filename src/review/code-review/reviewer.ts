import type { Config } from '../../config/index.js';
import { classify, TpError } from '../../errors/index.js';
import type { ChatMessage, ChatRequest, ChatResult, ModelClient, ModelRouter } from '../../models/index.js';
import { redact, redactLikelySecrets } from '../../secrets/index.js';
import type { Task } from '../../tasks/types.js';
import { chunkDiff, type DiffSection, splitDiff } from './diff-chunks.js';
import { repairMessage, reviewMessages, systemPrompt, taskText } from './prompt.js';
import {
  describeIssues,
  type Finding,
  REVIEW_REPLY_JSON_SCHEMA,
  type ReviewReply,
  reviewReplySchema,
} from './schema.js';

/** A model call; the response cache plugs in here (default: `client.chat(request)`). */
export type ReviewChat = (client: ModelClient, request: ChatRequest) => Promise<ChatResult>;

export interface CodeReviewerOptions {
  /** Routes the calls: hosts, breakers, retries and the fallback chain, as for the agent. */
  router: Pick<ModelRouter, 'runWithFallback'>;
  config: Pick<Config, 'codeReview' | 'ollama'>;
  /** Known secret values: never sent to the model. */
  secrets: readonly string[];
  chat?: ReviewChat;
  /** Seed of every review request (deterministic replies, cacheable). Default 42. */
  seed?: number;
  /** Upper bound of the derived `num_ctx`, as the Ollama client's `maxNumCtx`. Default 32768. */
  maxNumCtx?: number;
}

export interface ReviewInput {
  task: Task;
  /** The staged diff of the change. */
  diff: string;
  signal: AbortSignal;
}

/** One review's outcome. `unavailable` means nothing is known about the change: never "no findings". */
export interface ReviewResult {
  status: 'ok' | 'unavailable';
  /** Why the review is unavailable. */
  reason?: string;
  findings: Finding[];
  summary: string;
  model: string | undefined;
  durationMs: number;
  promptTokens: number;
  completionTokens: number;
  /** Model requests made (diff parts and repairs). */
  requests: number;
  /** What the report should say besides the findings (truncated files, dropped findings). */
  notes: string[];
}

/** Tokens kept free for the reply; the rest of `num_ctx` holds the prompt. */
const REPLY_TOKENS = 1024;
/** Characters per token assumed for the budget; low on purpose (code tokenises densely). */
const CHARS_PER_TOKEN = 3;
/** The fewest diff characters a request carries, even when the context is tiny. */
const MIN_DIFF_CHARS = 1_000;
/** Findings kept per review (a runaway reply must not flood the PR). */
const MAX_FINDINGS = 50;

interface ChunkOutcome {
  reply: ReviewReply | undefined;
  error?: string;
  promptTokens: number;
  completionTokens: number;
  requests: number;
}

/**
 * The LLM code review: sends the task and the change (redacted, split per file to fit the
 * model's context) to the review model, asks for structured output (JSON schema in Ollama's
 * `format`), validates the reply with zod and gives an invalid one a single repair request.
 * Every failure (invalid twice, timeout, no model) comes back as `status: 'unavailable'`.
 */
export class CodeReviewer {
  private readonly chat: ReviewChat;

  constructor(private readonly options: CodeReviewerOptions) {
    this.chat = options.chat ?? ((client, request) => client.chat(request));
  }

  /** The review model first, then the agent's fallbacks: one chain, one set of breakers. */
  chain(): string[] {
    const { codeReview, ollama } = this.options.config;
    return [...new Set([codeReview.model ?? ollama.defaultModel, ...ollama.fallbackModels])];
  }

  async review(input: ReviewInput): Promise<ReviewResult> {
    const { codeReview } = this.options.config;
    const started = Date.now();
    const timeout = AbortSignal.timeout(codeReview.timeoutMs);
    const signal = AbortSignal.any([input.signal, timeout]);
    const sections = splitDiff(this.redact(input.diff));
    const unavailable = (reason: string, extra: Partial<ReviewResult> = {}): ReviewResult => ({
      status: 'unavailable',
      reason,
      findings: [],
      summary: '',
      model: undefined,
      durationMs: Date.now() - started,
      promptTokens: 0,
      completionTokens: 0,
      requests: 0,
      notes: [],
      ...extra,
    });
    if (sections.length === 0) return unavailable('the change has no reviewable diff');
    const system = systemPrompt(codeReview.checkFor);
    const task = this.redact(taskText(input.task));
    try {
      const run = await this.options.router.runWithFallback(
        this.chain(),
        async ({ client, model, signal: callSignal }) => {
          const numCtx = await this.numCtx(client, model, callSignal);
          const overhead = system.length + task.length + 600;
          const budget = Math.max(MIN_DIFF_CHARS, (numCtx - REPLY_TOKENS) * CHARS_PER_TOKEN - overhead);
          const chunks = chunkDiff(sections, budget);
          const outcomes: ChunkOutcome[] = [];
          for (const [index, chunk] of chunks.entries()) {
            const messages = reviewMessages(system, task, chunk, { index, total: chunks.length });
            const base = { model, numCtx, signal: callSignal, messages };
            outcomes.push(await this.ask(client, base));
          }
          return { chunks, outcomes };
        },
        { signal, maxWaitMs: codeReview.timeoutMs },
      );
      const { chunks, outcomes } = run.result;
      const tokens = {
        promptTokens: sum(outcomes.map((o) => o.promptTokens)),
        completionTokens: sum(outcomes.map((o) => o.completionTokens)),
        requests: sum(outcomes.map((o) => o.requests)),
        model: run.modelUsed,
      };
      const failed = outcomes.find((o) => !o.reply);
      if (failed) return unavailable(`the review model's reply was invalid twice (${failed.error})`, tokens);
      const notes = chunks
        .flatMap((c) => c.truncated)
        .map((f) => `the diff of ${f} was cut to fit the model's context`);
      const { findings, dropped } = anchor(
        outcomes.flatMap((o) => o.reply?.findings ?? []),
        sections,
      );
      if (dropped > 0) notes.push(`${dropped} finding(s) naming files outside the change were dropped`);
      if (findings.length > MAX_FINDINGS)
        notes.push(`only the first ${MAX_FINDINGS} of ${findings.length} findings are kept`);
      return {
        status: 'ok',
        findings: findings.slice(0, MAX_FINDINGS),
        summary: outcomes
          .map((o) => o.reply?.summary.trim() ?? '')
          .filter(Boolean)
          .join(' '),
        durationMs: Date.now() - started,
        notes,
        ...tokens,
      };
    } catch (err) {
      if (input.signal.aborted) throw err;
      if (timeout.aborted)
        return unavailable(`timed out after ${codeReview.timeoutMs} ms (codeReview.timeoutMs)`);
      return unavailable(`no review model answered: ${classify(err).message}`);
    }
  }

  /** One diff part: a request, and one repair request when the reply does not validate. */
  private async ask(
    client: ModelClient,
    base: { model: string; numCtx: number; signal: AbortSignal; messages: ChatMessage[] },
  ): Promise<ChunkOutcome> {
    const out: ChunkOutcome = { reply: undefined, promptTokens: 0, completionTokens: 0, requests: 0 };
    let messages = base.messages;
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await this.chat(client, {
        model: base.model,
        messages,
        format: REVIEW_REPLY_JSON_SCHEMA,
        numCtx: base.numCtx,
        options: { temperature: 0, seed: this.options.seed ?? 42 },
        signal: base.signal,
      });
      out.requests++;
      out.promptTokens += res.promptTokens ?? 0;
      out.completionTokens += res.completionTokens ?? 0;
      const parsed = parseReply(res.content);
      if (parsed.ok) {
        out.reply = parsed.reply;
        delete out.error;
        return out;
      }
      out.error = parsed.problem.split('\n')[0];
      messages = [...messages, { role: 'assistant', content: res.content }, repairMessage(parsed.problem)];
    }
    return out;
  }

  /** `num_ctx` of the review requests: `ollama.numCtx`, else the model's context length (capped). */
  private async numCtx(client: ModelClient, model: string, signal: AbortSignal): Promise<number> {
    const forced = this.options.config.ollama.numCtx;
    if (forced) return forced;
    const info = await client.show(model, signal);
    return Math.min(info.contextLength ?? 8192, this.options.maxNumCtx ?? 32_768);
  }

  private redact(text: string): string {
    return redactLikelySecrets(redact(text, this.options.secrets));
  }
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/** Parses and validates one reply; the problem text is what the repair request sends back. */
export function parseReply(
  content: string,
): { ok: true; reply: ReviewReply } | { ok: false; problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(content.trim().replace(/^```(?:json)?\s*|\s*```$/g, ''));
  } catch (err) {
    return { ok: false, problem: `- (root): not JSON (${(err as Error).message})` };
  }
  const r = reviewReplySchema.safeParse(json);
  return r.success ? { ok: true, reply: r.data } : { ok: false, problem: describeIssues(r.error) };
}

/** A path as the model may write it (`b/x`, `./x`) in the diff's spelling. */
function normalisePath(p: string): string {
  return p
    .trim()
    .replace(/^\.\//, '')
    .replace(/^[ab]\//, '');
}

/**
 * Ties findings to the diff: one on a file the change does not touch is dropped; a line
 * outside the file's hunks (or on a deleted file) becomes a remark on the whole file, so
 * forges never get a comment on a line the PR does not show. Duplicates go.
 */
export function anchor(
  raw: ReviewReply['findings'],
  sections: readonly DiffSection[],
): { findings: Finding[]; dropped: number } {
  const byPath = new Map<string, DiffSection>();
  for (const s of sections) for (const p of s.paths) byPath.set(p, s);
  const findings: Finding[] = [];
  const seen = new Set<string>();
  let dropped = 0;
  for (const f of raw) {
    const file = normalisePath(f.file);
    const section = byPath.get(file) ?? byPath.get(f.file);
    if (!section) {
      dropped++;
      continue;
    }
    const line =
      typeof f.line === 'number' &&
      !section.deleted &&
      section.ranges.some(([a, b]) => f.line! >= a && f.line! <= b)
        ? f.line
        : undefined;
    const key = `${section.path}:${line}:${f.severity}:${f.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    findings.push({
      severity: f.severity,
      category: f.category,
      file: section.path,
      line,
      message: f.message.trim(),
      suggestion: f.suggestion.trim(),
      source: 'model',
    });
  }
  return { findings, dropped };
}

/** The error a blocked review ends the run with (`codeReview.blockOnCritical`). */
export function reviewBlockedError(critical: readonly Finding[], all: readonly Finding[]): TpError {
  const where = critical
    .slice(0, 5)
    .map((f) => `${f.file}${f.line ? `:${f.line}` : ''} (${f.category}) ${f.message}`);
  return new TpError(
    `Code review found ${critical.length} open critical finding(s): ${where.join('; ')}${critical.length > 5 ? '; …' : ''}`,
    {
      code: 'REVIEW_BLOCKED',
      retryable: false,
      hint: 'Nothing was committed or pushed (codeReview.blockOnCritical). Read the findings in error.json, make the ticket say how to avoid them (or fix by hand), then run `ticket-processor retry-failed --task-id {id}`.',
      details: { findings: all },
    },
  );
}
