import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Waits until a new task file stops changing (an editor or a copy may still be writing it):
 * same size and mtime on two polls `pollMs` apart, or `maxWaitMs` passed. Resolves with the
 * first and the last look, or undefined when the file went away. lstat: a symlink is judged
 * as itself (and refused by the reader), never by its target; only a regular file is waited for.
 */
export async function waitUntilStable(
  file: string,
  opts: { pollMs: number; maxWaitMs: number },
): Promise<{ first: Stats; last: Stats } | undefined> {
  const first = await lstat(file).catch(() => undefined);
  if (!first) return undefined;
  let last = first;
  const deadline = Date.now() + opts.maxWaitMs;
  while (first.isFile()) {
    await sleep(opts.pollMs);
    const cur = await lstat(file).catch(() => undefined);
    if (!cur) return undefined;
    if (cur.size === last.size && cur.mtimeMs === last.mtimeMs) break;
    if (Date.now() > deadline) break;
    last = cur;
  }
  return { first, last };
}
