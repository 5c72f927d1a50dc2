import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createSandbox, projectHidePaths, runProcess } from '../src/sandbox/index.js';
import { type BenchResult, round, summary } from './lib.js';

const RUNS = 60;
const WARMUP = 3;

/** A project laid out like the service's: a bare cache repository with a worktree, state, logs, .env. */
function makeProject(): { root: string; worktree: string; hide: string[] } {
  const root = mkdtempSync('/var/tmp/tp-bench-sbx-');
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'b',
    GIT_AUTHOR_EMAIL: 'b@x',
    GIT_COMMITTER_NAME: 'b',
    GIT_COMMITTER_EMAIL: 'b@x',
  };
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env, stdio: 'ignore' });
  const seed = path.join(root, 'seed');
  mkdirSync(seed);
  writeFileSync(path.join(seed, 'README.md'), '# bench\n');
  git(seed, 'init', '-q', '-b', 'main');
  git(seed, 'add', '-A');
  git(seed, 'commit', '-q', '-m', 'init');
  const cache = path.join(root, 'repos', 'cache', 'bench.git');
  git(root, 'clone', '-q', '--bare', seed, cache);
  const worktree = path.join(root, 'repos', 'worktrees', 'task-1');
  git(cache, 'worktree', 'add', '-q', '-b', 'task-1', worktree, 'main');
  writeFileSync(path.join(root, '.env'), 'GITEA_TOKEN=x\n');
  mkdirSync(path.join(root, 'state'));
  mkdirSync(path.join(root, 'logs'));
  const hide = projectHidePaths({
    baseDir: root,
    storePath: path.join(root, 'state', 'state.db'),
    logDir: path.join(root, 'logs'),
    reposDir: path.join(root, 'repos'),
    promptDir: path.join(root, 'repos', 'prompts'),
  });
  return { root, worktree, hide };
}

/** Milliseconds of `true` started and awaited through runProcess, `RUNS` times after a warm-up. */
async function time(run: () => Promise<{ exitCode: number | null }>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const t0 = performance.now();
    const res = await run();
    const ms = performance.now() - t0;
    if (res.exitCode !== 0) throw new Error(`\`true\` exited ${res.exitCode}`);
    if (i >= WARMUP) out.push(ms);
  }
  return out;
}

/**
 * Start cost of one sandboxed command: `true` through runProcess unconfined, under bwrap
 * without network (run_command, verify) and with network (CLI agents).
 */
export default async function run(): Promise<BenchResult> {
  const p = makeProject();
  try {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME };
    const sandbox = createSandbox({ mode: 'bwrap', env, hide: p.hide });
    const base = { argv: ['true'], cwd: p.worktree, env };
    const plain = summary(await time(() => runProcess(base)));
    const offline = summary(
      await time(() => runProcess({ ...base, sandbox: { use: sandbox, network: false } })),
    );
    const online = summary(
      await time(() => runProcess({ ...base, sandbox: { use: sandbox, network: true } })),
    );
    const row = (name: string, s: ReturnType<typeof summary>) => ({
      case: name,
      n: s.n,
      'p50 ms': s.p50,
      'p95 ms': s.p95,
      'max ms': s.max,
      'p50 extra ms': round(s.p50 - plain.p50),
      'p95 extra ms': round(s.p95 - plain.p95),
    });
    return {
      name: 'Sandbox start cost (`true` via runProcess)',
      rows: [
        row('unconfined', plain),
        row('bwrap, no network (run_command, verify)', offline),
        row('bwrap, network (CLI agents)', online),
      ],
      notes: [
        `${RUNS} runs each after ${WARMUP} warm-up runs; bwrap ${execFileSync('bwrap', ['--version'], { encoding: 'utf8' }).trim()}.`,
        'The extra cost is paid once per command or agent run, not per tool call inside it.',
      ],
    };
  } finally {
    rmSync(p.root, { recursive: true, force: true });
  }
}
