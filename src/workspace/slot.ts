import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

/** A worker process's own disk namespace under `folders.repos` (see `claimSlot`). */
export interface Slot {
  slot: number;
  /** `<reposDir>/workers/<slot>`: the `reposDir` of this process's Workspace. */
  dir: string;
  /** Gives the slot up (removes the lock file if it is still ours). */
  release(): Promise<void>;
}

const LOCK = 'owner.pid';
/**
 * Written next to the pid: a container restarts its worker with the same pid (often 1), so the
 * pid alone cannot tell this process from the one that held the slot before the restart.
 */
const PROCESS_TOKEN = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
/** A takeover marker older than this was left by a process that died mid-takeover. */
const TAKEOVER_STALE_MS = 10_000;

/** Is `pid` a running process? EPERM means it runs under another user: alive. */
function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the lock was written by this very process (same pid and token). */
async function ownedHere(file: string): Promise<boolean> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trim() === `${process.pid} ${PROCESS_TOKEN}`;
}

async function readPid(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const pid = Number(text.trim().split(/\s+/)[0]);
  return Number.isInteger(pid) ? pid : Number.NaN;
}

/** Creates `file` with our pid, O_EXCL: false when it exists. */
async function createExclusive(file: string): Promise<boolean> {
  try {
    const fh = await open(file, 'wx');
    try {
      await fh.writeFile(`${process.pid} ${PROCESS_TOKEN}\n`);
    } finally {
      await fh.close();
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * Replaces a lock whose owner is dead. Two processes may find the same dead lock: a second
 * O_EXCL marker serialises the takeover, and the owner is read again under it, so only one
 * of them can win and a live new owner is never unlinked.
 */
async function takeOver(lock: string, deadPid: number | undefined): Promise<boolean> {
  const marker = `${lock}.takeover`;
  if (!(await createExclusive(marker))) {
    const st = await stat(marker).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > TAKEOVER_STALE_MS) await unlink(marker).catch(() => undefined);
    return false;
  }
  try {
    const now = await readPid(lock);
    if (now !== deadPid && now !== undefined) return false;
    await unlink(lock).catch(() => undefined);
    return await createExclusive(lock);
  } finally {
    await unlink(marker).catch(() => undefined);
  }
}

/**
 * Claims the first free slot `0, 1, 2…` under `<reposDir>/workers/`, so that every worker
 * process has its own caches and worktrees: two processes never share a cache, and one's
 * start-up sweep never removes the other's live worktrees. A slot is owned through an
 * O_EXCL pid file; a slot whose owner is dead is free and is taken over, so a restarted
 * worker usually gets its old slot (and its cache) back.
 */
export async function claimSlot(reposDir: string): Promise<Slot> {
  for (let slot = 0; ; slot++) {
    const dir = path.join(reposDir, 'workers', String(slot));
    await mkdir(dir, { recursive: true });
    const lock = path.join(dir, LOCK);
    let owned = await createExclusive(lock);
    if (!owned) {
      const pid = await readPid(lock);
      // A slot this process already holds: a second claim (start --workers N) needs another one.
      if (await ownedHere(lock)) continue;
      // Our pid but not our token: the process before a container restart, so the slot is free.
      if (pid !== undefined && pid !== process.pid && alive(pid)) continue;
      owned = await takeOver(lock, pid);
    }
    if (!owned) continue;
    return {
      slot,
      dir,
      release: async () => {
        if (await ownedHere(lock)) await unlink(lock).catch(() => undefined);
      },
    };
  }
}
