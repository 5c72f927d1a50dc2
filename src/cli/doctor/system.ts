import { existsSync, readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { LoadedConfig } from '../../config/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { type Check, fail, ok, reason, warn } from './types.js';

const GIB = 1024 ** 3;

/** This package's package.json, found upwards from this file (src/ under tsx, dist/src/ when built). */
function packageJson(): { engines?: { node?: string } } {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; engines?: { node?: string } };
      if (pkg.name === 'ticket-processor') return pkg;
    }
    const up = path.dirname(dir);
    if (up === dir) return {};
    dir = up;
  }
}

const parts = (v: string) =>
  v
    .replace(/^v/, '')
    .split('.')
    .map((n) => Number.parseInt(n, 10) || 0);

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Whether `version` satisfies an engines range made of space-separated comparators
 * (`>=20.19`, `>=20 <23`, `^20.19.0`), the forms package.json engines use in practice.
 */
export function satisfies(version: string, range: string): boolean {
  const v = parts(version);
  return range
    .trim()
    .split(/\s+/)
    .every((c) => {
      const m = /^(>=|<=|>|<|=|\^|~)?v?(\d+(?:\.\d+){0,2})$/.exec(c);
      if (!m) return true;
      const want = parts(m[2]!);
      const d = compare(v, want);
      switch (m[1]) {
        case '>=':
          return d >= 0;
        case '>':
          return d > 0;
        case '<=':
          return d <= 0;
        case '<':
          return d < 0;
        case '^':
          return d >= 0 && v[0] === want[0];
        case '~':
          return d >= 0 && v[0] === want[0] && v[1] === want[1];
        default:
          return d === 0;
      }
    });
}

export function checkNode(version = process.version): Check {
  const range = packageJson().engines?.node;
  if (!range) return ok(`node ${version}`);
  return satisfies(version, range)
    ? ok(`node ${version}`, `package.json wants ${range}`)
    : fail(
        `node ${version}`,
        `package.json wants ${range}`,
        `install Node.js ${range} (e.g. \`nvm install 20\`) and run with it`,
      );
}

export async function checkGit(env: Record<string, string | undefined>): Promise<Check> {
  try {
    const { stdout } = await execa('git', ['--version'], {
      env: { PATH: env.PATH ?? process.env.PATH },
      timeout: 10_000,
    });
    const version = /(\d+\.\d+(?:\.\d+)?)/.exec(stdout)?.[1] ?? stdout.trim();
    return ok(`git ${version}`);
  } catch (err) {
    return fail('git', `cannot run git: ${reason(err)}`, 'install git (Debian: `apt-get install git`)');
  }
}

/** The same detection `start` does: an explicit bwrap that cannot run is a failure, an unset mode a warning. */
export function checkSandbox(loaded: LoadedConfig): Check {
  const { config, env } = loaded;
  if (config.sandbox.mode === 'none') return warn('sandbox', 'sandbox.mode is "none": agents run unconfined');
  try {
    const sb = createSandbox({ mode: config.sandbox.mode, bwrapPath: config.sandbox.bwrapPath, env });
    if (sb.mode === 'bwrap') return ok('sandbox', 'bubblewrap runs');
    return warn(
      'sandbox',
      'bubblewrap cannot run: agents, run_command and verify commands would run unconfined',
      'install bubblewrap (Debian: `apt-get install bubblewrap`) and allow user namespaces',
    );
  } catch (err) {
    return fail(
      'sandbox',
      reason(err),
      'install bubblewrap (Debian: `apt-get install bubblewrap`) or set sandbox.bwrapPath',
    );
  }
}

/** Free space where the project keeps its store, logs and worktrees. */
export async function checkDisk(dir: string): Promise<Check> {
  try {
    const s = await statfs(dir);
    const free = s.bavail * s.bsize;
    const text = `${(free / GIB).toFixed(1)} GiB free in ${dir}`;
    return free < GIB
      ? warn('disk', `only ${text}`, 'free some space: worktrees, logs and the store grow with every task')
      : ok('disk', text);
  } catch (err) {
    return warn('disk', `cannot read free space of ${dir}: ${reason(err)}`);
  }
}
