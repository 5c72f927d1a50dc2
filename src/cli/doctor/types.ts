/** Outcome of one doctor check: `fail` makes `doctor` exit 1, `warn` does not. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

/** One line of `doctor` output. */
export interface Check {
  status: CheckStatus;
  /** What was checked, e.g. `model qwen2.5-coder:7b`. */
  what: string;
  /** For `ok`: what was found. For `warn`/`fail`: why. */
  detail?: string;
  /** For `warn`/`fail`: what to do about it. */
  fix?: string;
}

export const ok = (what: string, detail?: string): Check => ({
  status: 'ok',
  what,
  ...(detail ? { detail } : {}),
});

export const warn = (what: string, why: string, fix?: string): Check => ({
  status: 'warn',
  what,
  detail: why,
  ...(fix ? { fix } : {}),
});

export const fail = (what: string, why: string, fix?: string): Check => ({
  status: 'fail',
  what,
  detail: why,
  ...(fix ? { fix } : {}),
});

/** The message of anything thrown, for a `why`. */
export function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Races `p` against a timer: doctor never hangs on a host that accepts and never answers. */
export async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
