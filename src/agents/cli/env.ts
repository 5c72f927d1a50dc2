import type { AgentRunInput } from '../types.js';

/** Names that look like credentials; an agent (and the model driving it) has no use for them. */
const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|APIKEY|PRIVATE_KEY|CREDENTIALS?)$/i;

/**
 * Copies `env` without credential-looking variables (forge tokens, webhook secrets). A model
 * with a shell tool could otherwise read and leak them. `keep` lists names to pass anyway.
 */
export function scrubEnv(
  env: Record<string, string | undefined>,
  keep: readonly string[] = [],
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    if (SECRET_NAME.test(k) && !keep.includes(k)) continue;
    out[k] = v;
  }
  return out;
}

/** `OLLAMA_HOST` may be `host:port` or `0.0.0.0`; tools want a full base URL without a trailing slash. */
export function normalizeOllamaHost(host: string): string {
  const raw = host.trim();
  const hadScheme = /^https?:\/\//i.test(raw);
  const u = new URL(hadScheme ? raw : `http://${raw}`);
  // Ollama's own convention: a bare host means the default port.
  if (!hadScheme && u.port === '') u.port = '11434';
  if (u.hostname === '0.0.0.0') u.hostname = '127.0.0.1';
  return u.toString().replace(/\/+$/, '');
}

/** `ollama/qwen2.5-coder:7b` → `qwen2.5-coder:7b`; agents add their own provider prefix. */
export function bareModel(model: string): string {
  return model.replace(/^ollama(_chat)?\//, '');
}

/** Linux refuses to start a program when one env string exceeds 128 KiB (E2BIG). */
const MAX_ENV_VALUE_BYTES = 64 * 1024;

/** Keeps the end of a long value (verify output ends with the failures that matter). */
function capForEnv(value: string): string {
  const buf = Buffer.from(value);
  if (buf.length <= MAX_ENV_VALUE_BYTES) return value;
  return `…${buf
    .subarray(buf.length - MAX_ENV_VALUE_BYTES)
    .toString('utf8')
    .replace(/^\uFFFD+/, '')}`;
}

export interface AgentEnvOptions {
  /** Credential-looking variables to pass through anyway. */
  keepEnv?: readonly string[];
}

/** The variables every CLI agent gets: the scrubbed base env plus the documented `TP_*` set. */
export function agentEnv(
  base: Record<string, string | undefined>,
  input: AgentRunInput,
  opts: AgentEnvOptions = {},
): Record<string, string | undefined> {
  return {
    ...scrubEnv(base, opts.keepEnv),
    TP_TASK_ID: input.task.id,
    TP_TASK_FILE: input.taskFile,
    TP_PROMPT_FILE: input.promptFile,
    TP_MODEL: bareModel(input.model),
    TP_WORKDIR: input.workdir,
    TP_FOLLOW_UP: input.followUp === undefined ? undefined : capForEnv(input.followUp),
    OLLAMA_HOST: input.ollamaHost,
    // Tools that would otherwise page output or ask questions on a terminal.
    CI: base.CI ?? '1',
    GIT_TERMINAL_PROMPT: '0',
    PAGER: 'cat',
    GIT_PAGER: 'cat',
  };
}
