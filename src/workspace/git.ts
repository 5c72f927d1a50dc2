import { execa } from 'execa';
import { TpError } from '../errors/index.js';
import type { PushAuth } from '../forges/types.js';

export interface GitOptions {
  cwd: string;
  /** Auth for this one command: passed through GIT_CONFIG_* env, so it is in no argv, no file. */
  auth?: PushAuth | undefined;
  env?: Record<string, string>;
  /** Strings to redact from error messages. */
  secrets?: string[];
  timeoutMs?: number;
}

export type GitLog = (line: { args: string[]; cwd: string; durationMs: number; ok: boolean }) => void;

export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('***');
  // Credentials in URLs (https://user:token@host) are redacted whatever their value.
  return out.replace(/(https?:\/\/)[^/@\s]+@/g, '$1***@');
}

/**
 * Runs git with a fixed, non-interactive environment. We use execa rather than simple-git:
 * we need per-command environment (auth headers that never reach .git/config or argv) and
 * exact control over timeouts, both of which are plain with execa.
 */
export async function git(args: string[], options: GitOptions, log?: GitLog): Promise<string> {
  const env: Record<string, string> = {
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: 'echo',
    LC_ALL: 'C',
    ...options.env,
  };
  if (options.auth?.header) {
    env.GIT_CONFIG_COUNT = '1';
    env.GIT_CONFIG_KEY_0 = 'http.extraHeader';
    env.GIT_CONFIG_VALUE_0 = options.auth.header;
  }
  const started = Date.now();
  const secrets = [...(options.secrets ?? [])];
  if (options.auth?.header)
    secrets.push(options.auth.header, options.auth.header.replace(/^[^:]+:\s*\S+\s+/, ''));
  try {
    const res = await execa('git', args, {
      cwd: options.cwd,
      env,
      stdin: 'ignore',
      timeout: options.timeoutMs ?? 120_000,
      stripFinalNewline: true,
    });
    log?.({ args, cwd: options.cwd, durationMs: Date.now() - started, ok: true });
    return res.stdout;
  } catch (err) {
    log?.({ args, cwd: options.cwd, durationMs: Date.now() - started, ok: false });
    const e = err as { stderr?: string; shortMessage?: string; timedOut?: boolean; exitCode?: number };
    const stderr = redact(String(e.stderr ?? ''), secrets).trim();
    const network =
      /could not resolve host|connection refused|timed out|unable to access|early eof|reset by peer|502|503|504/i.test(
        stderr,
      );
    throw new TpError(
      `git ${args[0]} failed${stderr ? `: ${stderr.split('\n').slice(-3).join(' | ')}` : ''}`,
      {
        code: args[0] === 'push' ? 'PUSH_FAILED' : 'GIT_FAILED',
        retryable: Boolean(e.timedOut) || network,
        details: { args: args.map((a) => redact(a, secrets)), exitCode: e.exitCode },
      },
    );
  }
}
