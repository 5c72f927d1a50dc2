import { stripProvider } from '../../models/index.js';
import { buildChildEnv, NON_INTERACTIVE_ENV } from '../../sandbox/index.js';
import type { AgentRunInput } from '../types.js';

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
  /** `agent.env`: further variables of the service's environment the user wants agents to see. */
  envNames?: readonly string[];
}

/**
 * A CLI agent's complete environment: the allow-listed base (PATH, HOME, locale, TP_*),
 * `agent.env` names, the documented `TP_*` set, the Ollama host, and `extra` (what this agent
 * type needs: its provider URL, its headless switches). Nothing else of the service's
 * environment passes, whatever its name.
 */
export function agentEnv(
  base: Readonly<Record<string, string | undefined>>,
  input: AgentRunInput,
  opts: AgentEnvOptions = {},
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return buildChildEnv(base, {
    names: [...(opts.envNames ?? []), 'CI'],
    set: {
      TP_TASK_ID: input.task.id,
      TP_TASK_FILE: input.taskFile,
      TP_PROMPT_FILE: input.promptFile,
      TP_MODEL: stripProvider(input.model),
      TP_WORKDIR: input.workdir,
      TP_FOLLOW_UP: input.followUp === undefined ? undefined : capForEnv(input.followUp),
      OLLAMA_HOST: input.ollamaHost,
      CI: base.CI ?? '1',
      ...NON_INTERACTIVE_ENV,
      ...extra,
    },
  });
}
