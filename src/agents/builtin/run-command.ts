import { type ProcessSandbox, runProcess } from '../../sandbox/index.js';

/**
 * One allow-list entry. `npm test` allows exactly `npm test`; `npm test *` (a trailing `*`)
 * allows `npm test` followed by any further arguments. Exact is the default because extra
 * arguments can change what a harmless command does (`git diff --output=<file>` writes a file).
 */
export interface AllowRule {
  argv: string[];
  prefix: boolean;
}

/** Parses `agent.allowCommands` strings into rules. Whitespace separates words; quotes group them. */
export function parseAllowList(entries: readonly string[]): AllowRule[] {
  return entries
    .map((entry) => splitWords(entry))
    .filter((w) => w.length > 0)
    .map((words) => {
      const prefix = words[words.length - 1] === '*';
      return { argv: prefix ? words.slice(0, -1) : words, prefix };
    })
    .filter((r) => r.argv.length > 0);
}

/**
 * Splits a command line into words with simple quote handling. No expansion of any kind:
 * the words are passed to the program as they are, never to a shell.
 */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: '"' | "'" | undefined;
  let inWord = false;
  for (const ch of line.trim()) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** Whether `argv` is allowed by some rule. */
export function isAllowed(rules: readonly AllowRule[], argv: readonly string[]): boolean {
  return rules.some((r) => {
    if (r.prefix ? argv.length < r.argv.length : argv.length !== r.argv.length) return false;
    return r.argv.every((w, i) => argv[i] === w);
  });
}

export interface CommandLimits {
  timeoutMs: number;
  /** Characters of output returned to the model (head and tail kept). */
  maxOutputChars: number;
  /** The command's complete environment (built with `commandEnv`). */
  env: Record<string, string | undefined>;
  signal: AbortSignal;
  /** Confinement: the worktree writable, no network, the service's files hidden. */
  sandbox?: ProcessSandbox | undefined;
}

/**
 * Runs an allowed command in the worktree without a shell, sandboxed without network when a
 * sandbox is given (an allowed `npm test` runs whatever script the model wrote); returns text
 * for the model.
 */
export async function runAllowedCommand(cwd: string, argv: string[], limits: CommandLimits): Promise<string> {
  const res = await runProcess({
    argv,
    cwd,
    env: limits.env,
    ...(limits.sandbox ? { sandbox: { use: limits.sandbox, worktree: cwd, network: false } } : {}),
    timeoutMs: limits.timeoutMs,
    signal: limits.signal,
    maxOutputBytes: Math.max(limits.maxOutputChars * 4, 64 * 1024),
    killGraceMs: 2_000,
  });
  const status = res.spawnError
    ? `could not start: ${res.spawnError.code ?? ''} ${res.spawnError.message}`.trim()
    : res.timedOut
      ? `timed out after ${limits.timeoutMs} ms`
      : res.exitCode !== null
        ? `exit code ${res.exitCode}`
        : `ended by signal ${res.signal ?? 'unknown'}`;
  return `$ ${argv.join(' ')}\n[${status}]\n${clip(res.output, limits.maxOutputChars)}`;
}

/** Keeps the start and the end of long output; the end usually holds the failure. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.floor(max * 0.3);
  const tail = max - head;
  return `${text.slice(0, head)}\n[… ${text.length - max} characters omitted …]\n${text.slice(text.length - tail)}`;
}
