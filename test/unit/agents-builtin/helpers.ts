import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A fresh temp directory with a `repo/` worktree inside and room for "outside" files next to it. */
export async function tempTree(): Promise<{ base: string; repo: string; cleanup: () => Promise<void> }> {
  const base = await mkdtemp(path.join(tmpdir(), 'tp-builtin-'));
  const repo = path.join(base, 'repo');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(repo);
  return { base, repo, cleanup: () => rm(base, { recursive: true, force: true }) };
}
