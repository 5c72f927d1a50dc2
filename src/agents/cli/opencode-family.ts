import { TpError } from '../../errors/index.js';
import { stripProvider } from '../../models/index.js';
import type { Agent, AgentResult, AgentRunInput } from '../types.js';
import { type BinaryOptions, runCliAgent, safePositional } from './cli-run.js';
import { type AgentEnvOptions, agentEnv, normalizeOllamaHost } from './env.js';
import { type AgentErrorEvent, JsonEventParser, type JsonEventSummary } from './json-events.js';
import { tailOf } from './outcome.js';
import { looksTransient } from './transient.js';

/** Options shared by the Kilo and OpenCode agents. */
export interface OpencodeFamilyOptions extends AgentEnvOptions, BinaryOptions {
  /** Base environment for the child (the composition root passes `process.env`). */
  env: Record<string, string | undefined>;
  /** Extra CLI arguments placed before the message (e.g. `['--agent', 'code']`). */
  extraArgs?: readonly string[];
  /**
   * Ignore a `kilo.json`/`opencode.json` in the target repository. Default false: a repo's
   * own rules are usually wanted; turn on for untrusted repositories.
   */
  disableProjectConfig?: boolean;
  /** Context window to declare for the model (tokens), so the tool plans within it. */
  contextLength?: number;
  /** Output token cap per reply; default the tool's own (Kilo sends 32000). */
  maxOutputTokens?: number;
  /**
   * Kilo only: how often the tool itself retries a failed model call. Default 2, so that a
   * down Ollama surfaces quickly to our own retry and circuit breaker instead of stalling.
   */
  sessionRetryLimit?: number;
}

/** What differs between Kilo and OpenCode: names of the binary and of its env variables. */
export interface OpencodeFlavor {
  /** Agent name (`kilo`, `opencode`). */
  name: string;
  binary: string;
  /** Prefix of the tool's env switches: `KILO` or `OPENCODE`. */
  envPrefix: string;
  install: string;
}

export const KILO_FLAVOR: OpencodeFlavor = {
  name: 'kilo',
  binary: 'kilo',
  envPrefix: 'KILO',
  install: 'npm i -g @kilocode/cli@7.7.7',
};

export const OPENCODE_FLAVOR: OpencodeFlavor = {
  name: 'opencode',
  binary: 'opencode',
  envPrefix: 'OPENCODE',
  install: 'npm i -g opencode-ai@1.18.33',
};

/** A single argv entry is limited to 128 KiB on Linux; larger prompts go as an attached file. */
const MAX_INLINE_PROMPT_BYTES = 100_000;

/** The provider config the tool reads from `<PREFIX>_CONFIG_CONTENT` (no file in the worktree). */
export function providerConfig(model: string, ollamaHost: string, opts: OpencodeFamilyOptions): string {
  const limit =
    opts.contextLength || opts.maxOutputTokens
      ? { limit: { context: opts.contextLength ?? 0, output: opts.maxOutputTokens ?? 0 } }
      : {};
  return JSON.stringify({
    model: `ollama/${model}`,
    enabled_providers: ['ollama'],
    autoupdate: false,
    share: 'disabled',
    provider: {
      ollama: {
        npm: '@ai-sdk/openai-compatible',
        name: 'Ollama',
        options: { baseURL: `${normalizeOllamaHost(ollamaHost)}/v1` },
        models: { [model]: { name: model, tools: true, ...limit } },
      },
    },
  });
}

/** Environment switches that keep the tool headless, offline except for Ollama, and quiet. */
export function headlessEnv(flavor: OpencodeFlavor, opts: OpencodeFamilyOptions): Record<string, string> {
  const p = flavor.envPrefix;
  const env: Record<string, string> = {
    // Everything allowed (no prompt can stall a headless run) except leaving the worktree.
    [`${p}_PERMISSION`]: JSON.stringify({ '*': 'allow', external_directory: 'deny', question: 'deny' }),
    [`${p}_DISABLE_AUTOUPDATE`]: '1',
    [`${p}_DISABLE_MODELS_FETCH`]: '1',
    [`${p}_DISABLE_SHARE`]: '1',
    [`${p}_DISABLE_DEFAULT_PLUGINS`]: '1',
    [`${p}_DISABLE_LSP_DOWNLOAD`]: '1',
    [`${p}_DISABLE_CLAUDE_CODE`]: '1',
    [`${p}_PURE`]: '1',
  };
  if (flavor.envPrefix === 'KILO') {
    Object.assign(env, {
      KILO_NO_DAEMON: '1',
      KILO_TELEMETRY_LEVEL: 'off',
      KILO_DISABLE_CODEBASE_INDEXING: '1',
      KILO_DISABLE_SESSION_INGEST: '1',
      KILO_DISABLE_PRESENCE: '1',
      KILO_SESSION_RETRY_LIMIT: String(opts.sessionRetryLimit ?? 2),
    });
  }
  if (opts.disableProjectConfig) env[`${p}_DISABLE_PROJECT_CONFIG`] = '1';
  return env;
}

/**
 * The message passed to `run`, never mistaken for a flag. The prompt already holds any
 * follow-up (pipeline/prompt.ts owns that text); a prompt too long for one argument goes as
 * the attached prompt file, which holds the same text.
 */
export function runMessage(input: AgentRunInput): { message: string; attach: boolean } {
  if (Buffer.byteLength(input.prompt) <= MAX_INLINE_PROMPT_BYTES) {
    return { message: safePositional(input.prompt), attach: false };
  }
  return {
    message: 'Carry out the task described in the attached file. Work only in the current directory.',
    attach: true,
  };
}

function eventFailure(
  flavor: OpencodeFlavor,
  input: AgentRunInput,
  err: AgentErrorEvent,
  outputTail: string,
): TpError {
  const text = `${err.name ?? 'error'}: ${err.message}`;
  const details = { statusCode: err.statusCode, outputTail, event: err };
  if (err.statusCode === 404 || /model .*not found|not found, try pulling/i.test(err.message)) {
    return new TpError(`${flavor.name} agent: ${text}`, {
      code: 'MODEL_NOT_FOUND',
      retryable: false,
      taskId: input.task.id,
      details,
      hint: `Pull the model on the Ollama host (\`ollama pull ${stripProvider(input.model)}\`) or choose another.`,
    });
  }
  const transient =
    err.retryable === true ||
    (err.statusCode !== undefined && (err.statusCode >= 500 || err.statusCode === 429)) ||
    looksTransient(err.message);
  return new TpError(`${flavor.name} agent: ${text}`, {
    code: transient ? 'MODEL_UNAVAILABLE' : 'AGENT_FAILED',
    retryable: transient,
    taskId: input.task.id,
    details,
    hint: transient
      ? `Ollama at ${input.ollamaHost} did not answer; the run will be retried.`
      : 'See the output tail in the error log for what the agent reported.',
  });
}

function summarize(flavor: OpencodeFlavor, s: JsonEventSummary, durationMs: number): string {
  const tools = s.tools.length > 0 ? `, tools: ${[...new Set(s.tools)].join(', ')}` : '';
  const head = `${flavor.name} finished in ${(durationMs / 1000).toFixed(1)} s (${s.steps} steps, ${s.toolCalls} tool calls${tools})`;
  const text = s.lastText.length > 300 ? `${s.lastText.slice(0, 300)}…` : s.lastText;
  return text ? `${head}: ${text}` : head;
}

/**
 * Kilo Code CLI and OpenCode share a command line (`run --auto --format json -m provider/model`)
 * and configuration through environment variables, so one class drives both. Ollama is
 * configured as an OpenAI-compatible provider through `<PREFIX>_CONFIG_CONTENT`, which keeps
 * the worktree free of tool config files that could be committed by accident.
 */
export class OpencodeFamilyAgent implements Agent {
  readonly name: string;

  constructor(
    private readonly flavor: OpencodeFlavor,
    private readonly opts: OpencodeFamilyOptions,
  ) {
    this.name = flavor.name;
  }

  async run(input: AgentRunInput): Promise<AgentResult> {
    const model = stripProvider(input.model);
    const { message, attach } = runMessage(input);
    const parser = new JsonEventParser();
    const { res, failure } = await runCliAgent(input, {
      ...this.opts,
      agent: this.flavor.name,
      binary: this.flavor.binary,
      install: this.flavor.install,
      searchEnv: this.opts.env,
      env: agentEnv(this.opts.env, input, this.opts, {
        ...headlessEnv(this.flavor, this.opts),
        [`${this.flavor.envPrefix}_CONFIG_CONTENT`]: providerConfig(model, input.ollamaHost, this.opts),
      }),
      args: [
        'run',
        '--auto',
        '--format',
        'json',
        '-m',
        `ollama/${model}`,
        ...(attach ? ['-f', input.promptFile] : []),
        ...(this.opts.extraArgs ?? []),
        message,
      ],
      onStdout: (chunk) => parser.push(chunk),
    });
    const summary = parser.end();
    const outputTail = tailOf(res.output);
    // An error event means the session did not finish its work, whatever the exit code; it is
    // more precise than "exit 1", so it wins unless the run timed out, was aborted or never ran.
    const lastError = summary.errors.at(-1);
    if (lastError && (!failure || failure.code === 'AGENT_FAILED')) {
      throw eventFailure(this.flavor, input, lastError, outputTail);
    }
    if (failure) throw failure;
    return {
      stopReason: 'done',
      summary: summarize(this.flavor, summary, res.durationMs),
      outputTail,
      tokens: summary.tokens,
      iterations: summary.steps,
    };
  }
}

/** `agent.type: "kilo"`. */
export class KiloAgent extends OpencodeFamilyAgent {
  constructor(opts: OpencodeFamilyOptions) {
    super(KILO_FLAVOR, opts);
  }
}

/** `agent.type: "opencode"`. */
export class OpenCodeAgent extends OpencodeFamilyAgent {
  constructor(opts: OpencodeFamilyOptions) {
    super(OPENCODE_FLAVOR, opts);
  }
}
