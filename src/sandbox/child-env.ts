/**
 * The one environment builder for every child process of the service: git, the built-in
 * agent's commands, CLI agents and verify commands. It is an allow-list, not a scrub list:
 * a deny-list misses the secret with an unexpected name (`DATABASE_URL` with a password,
 * `NPM_CONFIG__AUTH`, `SSH_AUTH_SOCK`), an allow-list cannot.
 */

/** Variables every child gets when the parent has them: locale, terminal, search path, home. */
export const BASE_ENV_NAMES: readonly string[] = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'LANG',
  'LANGUAGE',
  'TERM',
  'TZ',
  'TMPDIR',
];

/** Name patterns that pass as well: locale categories and the service's own documented `TP_*` set. */
const BASE_ENV_PATTERNS: readonly RegExp[] = [/^LC_[A-Z]+$/, /^TP_/];

/** `TP_*` names that hold secrets of the service itself; never handed to a child. */
const SERVICE_SECRETS: readonly string[] = ['TP_API_TOKEN', 'TP_WEBHOOK_SECRET'];

export interface ChildEnvOptions {
  /** Further names to copy from `base` (what one child kind needs, plus `agent.env` extras). */
  names?: readonly string[];
  /** Values set on top (TP_TASK_ID, OLLAMA_HOST, GIT_TERMINAL_PROMPT…); `undefined` removes a name. */
  set?: Readonly<Record<string, string | undefined>>;
}

/**
 * Builds a child's complete environment from `base` (the service's merged environment): only
 * the base names, `options.names`, and `options.set`. Pass the result with `extendEnv: false`
 * so nothing else is inherited.
 */
export function buildChildEnv(
  base: Readonly<Record<string, string | undefined>>,
  options: ChildEnvOptions = {},
): Record<string, string> {
  const wanted = new Set([...BASE_ENV_NAMES, ...(options.names ?? [])]);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined) continue;
    const listed = wanted.has(name) || BASE_ENV_PATTERNS.some((p) => p.test(name));
    if (listed && !SERVICE_SECRETS.includes(name)) out[name] = value;
  }
  for (const [name, value] of Object.entries(options.set ?? {})) {
    if (value === undefined) delete out[name];
    else out[name] = value;
  }
  return out;
}

/** Switches that keep any child's tools from paging, prompting or waiting on a terminal. */
export const NON_INTERACTIVE_ENV: Readonly<Record<string, string>> = {
  GIT_TERMINAL_PROMPT: '0',
  PAGER: 'cat',
  GIT_PAGER: 'cat',
};

/**
 * The environment of a command the model chose (`run_command`) or of a verify command: the
 * allow-listed base and `agent.env` names, nothing the agent type needs (no model host).
 */
export function commandEnv(
  base: Readonly<Record<string, string | undefined>>,
  envNames: readonly string[] = [],
): Record<string, string> {
  return buildChildEnv(base, {
    names: [...envNames, 'CI'],
    set: { CI: base.CI ?? '1', ...NON_INTERACTIVE_ENV },
  });
}
