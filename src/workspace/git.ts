import { TpError } from '../errors/index.js';
import { buildChildEnv } from '../sandbox/index.js';
import { redact } from '../secrets/index.js';
import { type GitRunner, runGit } from './run-git.js';

/**
 * How one git call authenticates against a remote (a forge's push auth); applied per command
 * through the environment, never stored in .git/config or argv.
 */
export interface PushAuth {
  /** Extra `http.extraHeader` value, e.g. `Authorization: token …`. */
  header?: string;
}

export interface GitOptions {
  cwd: string;
  /** Auth for this one command: passed through GIT_CONFIG_* env, so it is in no argv, no file. Implies `network`. */
  auth?: PushAuth | undefined;
  /**
   * The environment the child's allow-listed variables are copied from: the service's merged
   * environment, handed down from the composition root. When absent, `process.env` is the
   * base (one-off callers such as the demo setup and the local forge hold no other); only the
   * allow-list of `buildChildEnv` reaches git either way.
   */
  baseEnv?: Readonly<Record<string, string | undefined>> | undefined;
  /** This call talks to the remote (clone, fetch, ls-remote, push): it gets proxy and ssh variables. */
  network?: boolean;
  /** This call may sign a commit: it gets the GnuPG / ssh-agent variables. */
  sign?: boolean;
  /** Values set on top of the allow-list (author identity and the like). */
  env?: Record<string, string>;
  /** Strings to redact from error messages. */
  secrets?: string[];
  timeoutMs?: number;
  /** Start the process through this helper rather than from the service itself (see GitSpawner). */
  spawner?: GitRunner | undefined;
}

export type GitLog = (line: { args: string[]; cwd: string; durationMs: number; ok: boolean }) => void;

/**
 * Config every git call of the service runs with. Hooks and an fsmonitor command are programs
 * that anyone who can write the repository (an escaped agent) chooses; the service must
 * never run them, least of all with a token in reach. `ext::` remotes would run a command.
 */
export const SAFE_GIT_CONFIG: readonly string[] = [
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'core.fsmonitor=false',
  '-c',
  'protocol.ext.allow=never',
];

/** Variables a call that talks to the remote may need: proxies, ssh, a private CA. */
const NETWORK_ENV_NAMES: readonly string[] = [
  'SSH_AUTH_SOCK',
  'GIT_SSH',
  'GIT_SSH_COMMAND',
  'http_proxy',
  'https_proxy',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'all_proxy',
  'ALL_PROXY',
  'no_proxy',
  'NO_PROXY',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'GIT_SSL_CAINFO',
];

/** Variables commit signing needs (gpg, or ssh signing through the agent). */
const SIGN_ENV_NAMES: readonly string[] = ['GNUPGHOME', 'GPG_TTY', 'GPG_AGENT_INFO', 'SSH_AUTH_SOCK'];

/** Every call: where the user's git config lives (signing key, CA, proxy settings). */
const GIT_ENV_NAMES: readonly string[] = ['XDG_CONFIG_HOME'];

/**
 * Refuses a value that git would read as an option (`--upload-pack=…` as a remote runs a
 * command). `--` before positional arguments is the first guard; this one also covers values
 * git takes as option arguments (`-B <branch>`) and gives a clear error instead of git's.
 */
export function refuseOptionLike(value: string, what: string): string {
  if (value.startsWith('-')) {
    throw new TpError(`Refusing ${what} "${value}": it starts with "-", so git would read it as an option.`, {
      code: 'GIT_FAILED',
      retryable: false,
      hint: `Use a ${what} that does not start with "-".`,
      details: { refused: what },
    });
  }
  return value;
}

/** The child environment of one git call: the allow-list plus what this call needs, nothing else. */
export function gitEnv(options: Omit<GitOptions, 'cwd'>): Record<string, string> {
  const network = options.network === true || options.auth?.header !== undefined;
  const names = [
    ...GIT_ENV_NAMES,
    ...(network ? NETWORK_ENV_NAMES : []),
    ...(options.sign ? SIGN_ENV_NAMES : []),
  ];
  const set: Record<string, string> = {
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: 'echo',
    GIT_NO_REPLACE_OBJECTS: '1',
    LC_ALL: 'C',
    ...options.env,
  };
  if (network && options.auth?.header) {
    set.GIT_CONFIG_COUNT = '1';
    set.GIT_CONFIG_KEY_0 = 'http.extraHeader';
    set.GIT_CONFIG_VALUE_0 = options.auth.header;
  }
  return buildChildEnv(options.baseEnv ?? process.env, { names, set });
}

/**
 * Runs git with a fixed, non-interactive, minimal environment and no hooks. Not simple-git:
 * we need a per-command environment (auth headers that never reach .git/config or argv) and
 * exact control over timeouts (see `runGit` for why not execa either).
 */
export async function git(args: string[], options: GitOptions, log?: GitLog): Promise<string> {
  const res = await gitResult(args, options, log);
  if (res.ok) return res.stdout;
  throw res.error;
}

/** What one git call returned, failed or not: `--porcelain` output matters even when git exits non-zero. */
export type GitResult =
  | { ok: true; stdout: string }
  | { ok: false; stdout: string; stderr: string; error: TpError };

/** Like `git`, but a failure comes back with its stdout (a partly rejected `push --porcelain`). */
export async function gitResult(args: string[], options: GitOptions, log?: GitLog): Promise<GitResult> {
  const env = gitEnv(options);
  // The log names the subcommand first: the explicit --git-dir/--work-tree of worktree calls
  // are implied by the logged cwd.
  const logged = args.filter((a, i) => !(i < 2 && /^--(?:git-dir|work-tree)=/.test(a)));
  const started = Date.now();
  const secrets = [...(options.secrets ?? [])];
  if (options.auth?.header)
    secrets.push(options.auth.header, options.auth.header.replace(/^[^:]+:\s*\S+\s+/, ''));
  const timeoutMs = options.timeoutMs ?? 120_000;
  const res = await runGit([...SAFE_GIT_CONFIG, ...args], {
    cwd: options.cwd,
    env,
    timeoutMs,
    spawner: options.spawner,
  });
  const ok = res.exitCode === 0 && !res.timedOut;
  log?.({ args: logged, cwd: options.cwd, durationMs: Date.now() - started, ok });
  if (ok) return { ok: true, stdout: res.stdout };
  const stderr = redact(res.spawnError ? res.spawnError.message : res.stderr, secrets).trim();
  const network =
    /could not resolve host|connection refused|timed out|unable to access|early eof|reset by peer|502|503|504/i.test(
      stderr,
    );
  const sub = args.find((a, i) => !a.startsWith('-') && args[i - 1] !== '-c') ?? args[0];
  const what = res.timedOut ? `timed out after ${timeoutMs} ms` : 'failed';
  const error = new TpError(
    `git ${sub} ${what}${stderr ? `: ${stderr.split('\n').slice(-3).join(' | ')}` : ''}`,
    {
      code: sub === 'push' ? 'PUSH_FAILED' : 'GIT_FAILED',
      retryable: res.timedOut || network,
      details: { args: args.map((a) => redact(a, secrets)), exitCode: res.exitCode ?? undefined },
    },
  );
  return { ok: false, stdout: redact(res.stdout, secrets), stderr, error };
}
