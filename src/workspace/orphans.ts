import { readdir, readFile, readlink, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * Kills the process groups of processes whose working directory is inside `dir`: agents,
 * checks and commands left running by a process that was killed (agents run detached, in
 * their own group, so they outlive a SIGKILL of ours). Reads /proc, so it works on Linux;
 * elsewhere it finds nothing and returns 0.
 */
export async function killProcessesUnder(dir: string): Promise<number> {
  const root = path.resolve(dir);
  const entries = await readdir('/proc').catch(() => [] as string[]);
  const ownGroup = await groupOf(process.pid);
  const groups = new Set<number>();
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => undefined);
    if (!cwd || !(cwd === root || cwd.startsWith(`${root}${path.sep}`))) continue;
    const group = await groupOf(pid);
    if (group !== undefined && group !== ownGroup && group > 1) groups.add(group);
  }
  for (const g of groups) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      // Gone already, or not ours to kill.
    }
  }
  return groups.size;
}

async function groupOf(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) return undefined;
  // Fields after the command name (which may contain spaces) start at the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const pgrp = Number(fields[2]);
  return Number.isFinite(pgrp) ? pgrp : undefined;
}

/**
 * In one cache repository: removes the worktrees under `root` (their folders, then their admin
 * entries), and deletes the local branches no other worktree uses. Returns how many worktrees
 * it removed. Runs under the cache's lock, before anything else uses the cache.
 */
export async function sweepCache(
  cache: string,
  root: string,
  git: (args: string[]) => Promise<string>,
): Promise<number> {
  const list = await git(['worktree', 'list', '--porcelain']).catch(() => '');
  const kept = new Set<string>();
  let removed = 0;
  for (const block of list.split('\n\n')) {
    const dir = /^worktree (.+)$/m.exec(block)?.[1];
    if (!dir || path.resolve(dir) === path.resolve(cache)) continue;
    if (path.resolve(dir).startsWith(`${root}${path.sep}`)) {
      await rm(dir, { recursive: true, force: true });
      removed++;
    } else {
      const head = /^branch (.+)$/m.exec(block)?.[1];
      if (head) kept.add(head);
    }
  }
  await git(['worktree', 'prune']).catch(() => undefined);
  await pruneHeads(kept, git).catch(() => undefined);
  return removed;
}

/**
 * Deletes the cache's local branches that no worktree uses: task branches of finished runs
 * (the remote keeps its copy), which would otherwise pile up over months.
 */
async function pruneHeads(kept: Set<string>, git: (args: string[]) => Promise<string>): Promise<void> {
  const out = await git(['for-each-ref', '--format=%(refname)', 'refs/heads/']);
  const head = await git(['symbolic-ref', '-q', 'HEAD']).catch(() => '');
  const stale = out
    .split('\n')
    .filter((r) => r.startsWith('refs/heads/') && !kept.has(r) && r !== head)
    .map((r) => r.slice('refs/heads/'.length))
    .filter((b) => !b.startsWith('-'));
  // One process per few hundred branches; the names come from for-each-ref, not from input.
  for (let i = 0; i < stale.length; i += 200) {
    await git(['branch', '-D', '--quiet', ...stale.slice(i, i + 200)]);
  }
}
