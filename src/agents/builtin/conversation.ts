import type { ChatMessage } from '../../models/index.js';
import type { ModelInfo } from './chat-port.js';
import type { AgentMode } from './prompt.js';
import { estimateTokens } from './repo-index.js';

/** Models that never had tool calling in Ollama (the original tool's list plus close relatives). */
const NO_TOOLS =
  /^(deepseek-coder|codellama|llama2|mistral(:|$)|starcoder|wizardcoder|codegemma|phi(?!4-mini)|tinyllama)/i;
/** Families known to call tools, for servers too old to report capabilities. */
const KNOWN_TOOLS =
  /^(qwen2\.5|qwen3|llama3\.[123]|mistral-nemo|mistral-small|command-r|granite3|hermes3|gpt-oss|devstral)/i;

/**
 * Tools mode when `/api/show` lists the `tools` capability; text mode when it does not. Servers
 * that report no capabilities at all fall back to the model-name lists above.
 */
export function chooseMode(model: string, info: ModelInfo, forced: 'auto' | AgentMode): AgentMode {
  if (forced !== 'auto') return forced;
  if (info.capabilities.length) return info.capabilities.includes('tools') ? 'tools' : 'text';
  if (NO_TOOLS.test(model)) return 'text';
  return KNOWN_TOOLS.test(model) ? 'tools' : 'text';
}

export interface WindowPlan {
  numCtx: number;
  /** Tokens reserved for the reply (`num_predict`). */
  reserve: number;
  /** Tokens the prompt (all messages + tool specs) may use. */
  promptBudget: number;
  notes: string[];
}

/**
 * `num_ctx` = min(model context length, prompt budget + reply reserve), or the forced value
 * capped by the model. Never left to Ollama's default, which silently truncates.
 */
export function planWindow(
  info: ModelInfo,
  opts: { contextTokens: number; replyReserve: number; numCtx?: number },
): WindowPlan {
  const notes: string[] = [];
  const wanted = opts.numCtx ?? opts.contextTokens + opts.replyReserve;
  let numCtx = wanted;
  if (info.contextLength > 0 && info.contextLength < wanted) {
    numCtx = info.contextLength;
    notes.push(
      `model context length ${info.contextLength} is below the requested ${wanted}; using ${numCtx}`,
    );
  } else if (info.contextLength === 0) {
    notes.push(`server did not report a context length; using ${numCtx}`);
  }
  const reserve = Math.min(opts.replyReserve, Math.floor(numCtx / 4));
  return { numCtx, reserve, promptBudget: numCtx - reserve, notes };
}

const ELIDED = '[earlier output elided to fit the context window]';

/** Estimated prompt tokens of a message list (content, tool calls, and per-message overhead). */
export function messagesTokens(messages: readonly ChatMessage[], scale = 1): number {
  let total = 0;
  for (const m of messages) {
    total += estimateTokens(m.content) + 4;
    // Counted in the wire shape Ollama receives (`{ function: { name, arguments } }`).
    if (m.toolCalls)
      total += estimateTokens(
        JSON.stringify(m.toolCalls.map((c) => ({ function: { name: c.name, arguments: c.arguments } }))),
      );
  }
  return Math.ceil(total * scale);
}

/**
 * Keeps the conversation inside the prompt budget: the system prompt and the first user message
 * (ticket + context) stay; older tool results and replies are elided oldest first; as a last
 * resort the newest message is cut. Returns what was done, for the log.
 */
export function fitHistory(messages: ChatMessage[], budget: number, scale = 1): string | undefined {
  let total = messagesTokens(messages, scale);
  if (total <= budget) return undefined;
  let elided = 0;
  for (let i = 2; i < messages.length - 1 && total > budget; i++) {
    const m = messages[i]!;
    if (m.content === ELIDED || m.content.length < 200) continue;
    total -= Math.ceil((estimateTokens(m.content) - estimateTokens(ELIDED)) * scale);
    m.content = ELIDED;
    elided++;
  }
  if (total > budget && messages.length > 2) {
    const last = messages[messages.length - 1]!;
    const over = total - budget;
    const keepChars = Math.max(200, last.content.length - Math.ceil((over / scale) * 4) - 100);
    last.content = `${last.content.slice(0, keepChars)}\n[… cut to fit the context window …]`;
  }
  return `history trimmed to fit ${budget} tokens (${elided} earlier messages elided)`;
}
