import { readdir, readFile, readlink } from 'node:fs/promises';
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
