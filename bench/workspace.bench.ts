import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gitResult } from '../src/workspace/git.js';
import type { PreparedWorktree, Workspace } from '../src/workspace/index.js';
import { PushBatcher } from '../src/workspace/push-batch.js';
import { tmpDir } from '../test/helpers/project.js';
import { bareRemote, recordingWorkspace } from '../test/helpers/workspace.js';
import { type BenchResult, round } from './lib.js';

const N = Number(process.env.BENCH_WS_N ?? 12);
const FILES = Number(process.env.BENCH_WS_FILES ?? 200);

const git = (args: string[], cwd: string) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

/** A bare remote whose main holds FILES small files (a repository of realistic width). */
function remoteWithFiles(root: string): string {
  const { remote } = bareRemote(root);
  const seed = path.join(root, 'seed');
  for (let i = 0; i < FILES; i++) writeFileSync(path.join(seed, `f${i}.txt`), `file ${i}\n`.repeat(20));
  git(['add', '-A'], seed);
  git(['-c', 'user.name=T', '-c', 'user.email=t@t', 'commit', '--quiet', '-m', 'files'], seed);
  git(['push', '--quiet', remote, 'main'], seed);
  return remote;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** ms per prepare + cleanup: fetch + `worktree add` + `worktree remove` (the old way) vs fetch + pooled checkout (clean in the background). */
async function worktrees(remote: string, ws: Workspace): Promise<{ old: number; pooled: number }> {
  const cache = await ws.sync(remote, 'main');
  let old = 0;
  for (let i = 0; i < N; i++) {
    const dir = path.join(path.dirname(path.dirname(cache)), 'old-wt', `t${i}`);
    old += await time(async () => {
      // The old prepare + cleanup: fetch (+ ref read), worktree add, worktree remove.
      await ws.sync(remote, 'main');
      git(
        ['worktree', 'add', '--quiet', '--force', '-B', `old-${i}`, '--', dir, 'refs/remotes/origin/main'],
        cache,
      );
      git(['worktree', 'remove', '--force', '--', dir], cache);
    });
  }
  const warm = await ws.prepare(remote, 'main', 'warm');
  await ws.cleanup(remote, warm);
  await ws.drain();
  let pooled = 0;
  for (let i = 0; i < N; i++) {
    let wt: PreparedWorktree | undefined;
    pooled += await time(async () => {
      wt = await ws.prepare(remote, 'main', `pool-${i}`);
      await ws.cleanup(remote, wt);
    });
    // The clean runs in the background between tasks; it costs CPU, not latency.
    await ws.drain();
  }
  return { old: old / N, pooled: pooled / N };
}

/** ms per branch: 4 pushes one by one vs the same 4 in one batched push. */
async function pushes(remote: string, ws: Workspace): Promise<{ single: number; batched: number }> {
  const cache = ws.cacheDir(remote);
  const base = git(['rev-parse', 'refs/remotes/origin/main'], cache);
  const shas = Array.from({ length: 4 }, (_, i) =>
    git(
      [
        '-c',
        'user.name=T',
        '-c',
        'user.email=t@t',
        'commit-tree',
        `${base}^{tree}`,
        '-p',
        base,
        '-m',
        `c${i}`,
      ],
      cache,
    ),
  );
  const run = (args: string[]) => gitResult([`--git-dir=${cache}`, ...args], { cwd: cache, network: true });
  const mk = () =>
    new PushBatcher({ remote, attempts: 1, retryDelayMs: 1, sleep: async () => undefined, run });
  let single = 0;
  let batched = 0;
  const rounds = Math.max(1, Math.floor(N / 4));
  for (let r = 0; r < rounds; r++) {
    single += await time(async () => {
      for (const [i, sha] of shas.entries()) await mk().push(`s${r}-${i}`, sha, '');
    });
    // Four at once on one batcher: the first goes alone, the other three in the next push.
    const b = mk();
    batched += await time(() => Promise.all(shas.map((sha, i) => b.push(`b${r}-${i}`, sha, ''))));
  }
  return { single: single / (rounds * 4), batched: batched / (rounds * 4) };
}

/** ms for 4 concurrent prepares (fetch + worktree) with the single-flight fetch, and the fetches run. */
async function fetches(remote: string, root: string) {
  const { ws, count } = recordingWorkspace(root, { reposDir: path.join(root, 'repos-fetch') });
  await ws.sync(remote, 'main');
  const before = count('fetch');
  let ms = 0;
  for (let r = 0; r < Math.max(1, Math.floor(N / 4)); r++) {
    ms += await time(async () => {
      const wts = await Promise.all([1, 2, 3, 4].map((i) => ws.prepare(remote, 'main', `f${r}-${i}`)));
      await Promise.all(wts.map((w) => ws.cleanup(remote, w)));
    });
    await ws.drain();
  }
  const rounds = Math.max(1, Math.floor(N / 4));
  const sequentialFetch = await time(async () => {
    for (let i = 0; i < 4; i++) await ws.sync(remote, 'main');
  });
  return {
    perRound: ms / rounds,
    fetchesPerRound: (count('fetch') - before - 4) / rounds,
    fourSequentialFetches: sequentialFetch,
  };
}

/** Micro-bench of the workspace's git (issue 13): pooled worktrees, batched pushes, shared fetches. */
export default async function run(): Promise<BenchResult> {
  const root = tmpDir('tp-ws-bench-');
  const remote = remoteWithFiles(root);
  const { ws } = recordingWorkspace(root);
  const wt = await worktrees(remote, ws);
  const push = await pushes(remote, ws);
  const f = await fetches(remote, root);

  // Git processes of one task on a warm cache, alone: prepare, diff, commit, push, cleanup.
  const { ws: one, calls: oneCalls } = recordingWorkspace(root, { reposDir: path.join(root, 'repos-one') });
  let perTask = 0;
  for (const i of [1, 2]) {
    const before = oneCalls.length;
    const t = await one.prepare(remote, 'main', `one-${i}`);
    writeFileSync(path.join(t.dir, 'x.txt'), String(i));
    await one.diff(t);
    await one.commit(t, 'x', String(i), { staged: true });
    await one.push(remote, t);
    await one.cleanup(remote, t);
    await one.drain();
    perTask = oneCalls.length - before;
  }
  return {
    name: `Workspace git (${FILES}-file repository, N=${N})`,
    rows: [
      { operation: 'prepare+cleanup, old: fetch + worktree add + remove', 'ms/op': round(wt.old), ratio: 1 },
      {
        operation: 'prepare+cleanup, pooled: fetch + checkout -B',
        'ms/op': round(wt.pooled),
        ratio: round(wt.old / wt.pooled, 2),
      },
      { operation: 'push, 1 branch per git push (per branch)', 'ms/op': round(push.single), ratio: 1 },
      {
        operation: 'push, 4 ready together, batched (per branch)',
        'ms/op': round(push.batched),
        ratio: round(push.single / push.batched, 2),
      },
      {
        operation: '4 sequential fetches (4 tasks, no sharing)',
        'ms/op': round(f.fourSequentialFetches),
        ratio: 1,
      },
      {
        operation: `4 concurrent prepares+cleanups (${round(f.fetchesPerRound, 2)} fetch/round)`,
        'ms/op': round(f.perRound),
        ratio: round(f.fourSequentialFetches / f.perRound, 2),
      },
      {
        operation: 'git processes per task (warm, alone, incl. background clean)',
        'ms/op': perTask,
        ratio: '',
      },
    ],
    notes: [
      'ratio = old / new (higher is better); the 4-prepare row includes the worktree checkouts, the fetch row only fetches.',
    ],
  };
}
