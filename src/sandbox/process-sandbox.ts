/**
 * Confinement of the programs an agent runs (CLI agents, the built-in agent's `run_command`,
 * `verify.commands`) with bubblewrap. The whole file system is visible read-only, the task's
 * worktree is the one writable place, and what holds secrets or other repositories is hidden:
 * the service's HOME, /tmp, /run, the project's `.env`, state, logs, cache repositories and
 * other worktrees. The sandbox gets its own PID namespace (no `/proc` of the service), drops
 * every capability (we may run as root: without that, `umount` would reveal what is hidden) and,
 * for commands, has no network.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { TpError } from '../errors/index.js';
import { findExecutable } from './executable.js';

export type SandboxMode = 'bwrap' | 'none';

export interface SandboxOptions {
  /** `sandbox.mode`; undefined = `bwrap` when the binary works, else `none` with a warning. */
  mode?: SandboxMode | undefined;
  /** `sandbox.bwrapPath`: a name looked up on `PATH`, or a path. Default `bwrap`. */
  bwrapPath?: string;
  /** Files and folders to hide (the project's `.env`, state folder, logs, repos/cache, repos/worktrees…). */
  hide?: readonly string[];
  /** The service's environment: `PATH` to find bwrap and tools, `HOME` to hide. */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface WrapOptions {
  /** The task's worktree: the only writable place besides private /tmp and HOME. */
  worktree: string;
  /** Working directory inside the sandbox; default the worktree. */
  cwd?: string;
  /** CLI agents keep the network (they talk to Ollama); commands and verify get none. */
  network: boolean;
  /**
   * The cache repository holding this worktree's objects, shown read-only so `git status` and
   * `git diff` work. Default: found from the worktree's `.git` file, when it lies in a hidden folder.
   */
  cacheRepo?: string;
  /** Extra paths shown read-only even when hidden (the prompt file, the agent's binary). */
  readOnly?: readonly string[];
  /** Extra writable paths (an agent's private state folder). */
  writable?: readonly string[];
}

export interface ProcessSandbox {
  readonly mode: SandboxMode;
  /** Set when `mode` is `none` because bubblewrap was not found or does not work here. */
  readonly warning?: string;
  /** Returns the argv that runs `argv` confined (unchanged in mode `none`). */
  wrap(argv: readonly string[], opts: WrapOptions): string[];
}

const INSTALL_HINT =
  'Install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`, Fedora: `dnf install bubblewrap`) ' +
  'or set sandbox.mode to "none" to run agents and commands unconfined.';

/** No confinement: the explicit `sandbox.mode: "none"` and the fallback when bubblewrap is missing. */
export function noSandbox(warning?: string): ProcessSandbox {
  return {
    mode: 'none',
    ...(warning ? { warning } : {}),
    wrap: (argv) => [...argv],
  };
}

/**
 * Resolves `sandbox.mode` once at start. An explicit `bwrap` that cannot run is a configuration
 * error; an unset mode falls back to `none` with a warning the caller must print.
 */
export function createSandbox(opts: SandboxOptions = {}): ProcessSandbox {
  if (opts.mode === 'none') return noSandbox();
  const env = opts.env ?? {};
  const wanted = opts.bwrapPath ?? 'bwrap';
  const bin = findExecutable(wanted, (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(path.delimiter));
  const problem = bin ? probe(bin) : `\`${wanted}\` was not found`;
  if (problem !== undefined || !bin) {
    if (opts.mode === 'bwrap') {
      throw new TpError(`sandbox.mode is "bwrap" but bubblewrap cannot run: ${problem}`, {
        code: 'CONFIG_INVALID',
        details: { path: 'sandbox.bwrapPath', bwrapPath: wanted },
        hint: `${INSTALL_HINT} If it is installed elsewhere, set sandbox.bwrapPath.`,
      });
    }
    return noSandbox(
      `sandbox: bubblewrap is not available (${problem}); agents, run_command and verify commands run UNCONFINED ` +
        `and can read the service's files and environment. ${INSTALL_HINT}`,
    );
  }
  return new BwrapSandbox(bin, opts.hide ?? [], env);
}

/** Runs `true` in a minimal sandbox: bwrap is installed but namespaces may be forbidden (containers). */
function probe(bin: string): string | undefined {
  const r = spawnSync(
    bin,
    ['--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--unshare-pid', '--unshare-net', 'true'],
    { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  if (r.error) return r.error.message;
  if (r.status !== 0) return (r.stderr || `exit status ${r.status}`).trim();
  return undefined;
}

/** Whether `p` is `root` or lies below it. */
export function isWithin(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

class BwrapSandbox implements ProcessSandbox {
  readonly mode = 'bwrap' as const;
  /** Folders replaced by an empty tmpfs: everything below them is hidden wholesale. */
  private readonly covered: string[];
  private readonly home: string | undefined;
  /** PATH entries inside a hidden folder: shown read-only again so tools installed there still run. */
  private readonly pathDirs: string[];
  private readonly hide: string[];

  constructor(
    private readonly bin: string,
    hide: readonly string[],
    env: Readonly<Record<string, string | undefined>>,
  ) {
    this.hide = [...new Set(hide.map((h) => path.resolve(h)))];
    const home = env.HOME ? path.resolve(env.HOME) : undefined;
    // Hiding `/` (or a HOME that holds the system) would hide the tools themselves.
    this.home = home && home !== '/' && existsSync(home) ? real(home) : undefined;
    this.covered = ['/tmp', '/run', ...(this.home ? [this.home] : [])];
    this.pathDirs = (env.PATH ?? '')
      .split(':')
      .filter((d) => path.isAbsolute(d) && existsSync(d))
      .map(real)
      .filter((d) => this.hidden(d));
    // The node that runs us is what `npm test` finds first; a version manager puts it in HOME.
    const nodePrefix = path.dirname(path.dirname(real(process.execPath)));
    if (this.hidden(nodePrefix)) this.pathDirs.push(nodePrefix);
  }

  /** Whether `p` is invisible inside the sandbox unless bound again. */
  private hidden(p: string): boolean {
    return [...this.covered, ...this.hide].some((h) => isWithin(h, p));
  }

  wrap(argv: readonly string[], opts: WrapOptions): string[] {
    const worktree = real(opts.worktree);
    const args: string[] = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc'];
    for (const dir of this.covered) args.push('--tmpfs', dir);
    // A resolv.conf that links into /run must survive the /run tmpfs, or CLI agents lose DNS.
    const resolv = real('/etc/resolv.conf');
    if (existsSync(resolv) && isWithin('/run', resolv)) args.push('--ro-bind', resolv, resolv);

    for (const p of this.hide) {
      // Below another hidden folder: already gone, and bwrap would only create an empty mount point.
      const inside = [...this.covered, ...this.hide.filter((o) => o !== p)].some((c) => isWithin(c, p));
      if (!existsSync(p) || inside) continue;
      // bwrap cannot put a tmpfs on a file; a device node on a nodev mount reads as "permission denied".
      if (statSync(p).isDirectory()) args.push('--tmpfs', p);
      else args.push('--ro-bind', '/dev/null', p);
    }

    const gitFile = path.join(worktree, '.git');
    const cache = opts.cacheRepo ? real(opts.cacheRepo) : cacheFromGitFile(gitFile);
    const shown = [...this.pathDirs, ...(cache ? [cache] : []), ...(opts.readOnly ?? []).map(real)];
    for (const p of new Set(shown)) {
      if (existsSync(p) && this.hidden(p)) args.push('--ro-bind', p, p);
    }
    args.push('--bind', worktree, worktree);
    for (const w of opts.writable ?? []) {
      const p = real(w);
      if (existsSync(p)) args.push('--bind', p, p);
    }
    // Bound last so it covers the writable worktree: the agent cannot point the worktree at
    // another git dir, nor (with the cache read-only) install hooks or change git config.
    if (existsSync(gitFile)) args.push('--ro-bind', gitFile, gitFile);

    args.push(
      '--unshare-pid',
      '--unshare-ipc',
      '--unshare-uts',
      ...(opts.network ? [] : ['--unshare-net']),
      '--die-with-parent',
      '--new-session',
      '--cap-drop',
      'ALL',
      ...(this.home
        ? ['--setenv', 'HOME', this.home]
        : ['--dir', '/tmp/home', '--setenv', 'HOME', '/tmp/home']),
      '--setenv',
      'TMPDIR',
      '/tmp',
      '--chdir',
      opts.cwd ? real(opts.cwd) : worktree,
      '--',
      ...argv,
    );
    return [this.bin, ...args];
  }
}

/**
 * The cache repository a linked worktree uses, read from its `.git` file (`gitdir: <cache>/worktrees/<name>`)
 * and the admin dir's `commondir`. Undefined for a plain repository or an unreadable pointer.
 */
export function cacheFromGitFile(gitFile: string): string | undefined {
  let text: string;
  try {
    if (!statSync(gitFile).isFile()) return undefined;
    text = readFileSync(gitFile, 'utf8');
  } catch {
    return undefined;
  }
  const m = /^gitdir:\s*(.+?)\s*$/m.exec(text);
  if (!m?.[1]) return undefined;
  const admin = path.resolve(path.dirname(gitFile), m[1]);
  let common = admin;
  try {
    common = path.resolve(admin, readFileSync(path.join(admin, 'commondir'), 'utf8').trim());
  } catch {}
  // Only the `<repo>/worktrees/<name>` shape is trusted: a pointer the agent rewrote while
  // unconfined must not be able to make us show an arbitrary hidden folder.
  if (path.basename(path.dirname(admin)) !== 'worktrees' || path.dirname(path.dirname(admin)) !== common) {
    return undefined;
  }
  return existsSync(path.join(common, 'HEAD')) ? real(common) : undefined;
}
