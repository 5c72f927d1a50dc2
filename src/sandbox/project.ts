import path from 'node:path';
import type { LoadedConfig } from '../config/index.js';
import { logDirectory } from '../observability/index.js';
import { createSandbox, type ProcessSandbox } from './process-sandbox.js';

/** Where the service keeps what a sandboxed program must not see. */
export interface ProjectPaths {
  /** The config file's folder (holds `.env`). */
  baseDir: string;
  /** config.json, when there is one (it may hold `webhook.apiToken`). */
  configPath?: string | undefined;
  /** `store.path`, resolved. */
  storePath: string;
  /** The logs folder, resolved. */
  logDir: string;
  /** `folders.repos`, resolved: caches, worktrees, per-task repositories and prompts live here. */
  reposDir: string;
  /** Where prompt files are written (usually inside `reposDir`); each agent shows its own prompt read-only. */
  promptDir: string;
  /** The service's `GNUPGHOME` when set (signing keys for `git.signCommits`): never shown to agents. */
  gnupgHome?: string | undefined;
}

/**
 * The paths hidden in every sandbox of a project: `.env`, config.json, the state folder, logs,
 * and the whole repos folder (every cache repository, worktree, per-task repository and prompt).
 * The run's own worktree (writable), its cache repository and its prompt file (read-only) are
 * shown again. The rest of the project folder stays readable: a worktree below it may resolve
 * tools (`node_modules`) from there, as it did before the sandbox.
 */
export function projectHidePaths(p: ProjectPaths): string[] {
  const stateDir = path.dirname(p.storePath);
  // A database right beside config.json: hide the files, not the whole project folder.
  const state =
    path.resolve(stateDir) === path.resolve(p.baseDir)
      ? ['', '-wal', '-shm', '-journal'].map((s) => `${p.storePath}${s}`)
      : [stateDir];
  const config = p.configPath ? [p.configPath] : [];
  // ~/.gnupg is under HOME, which the sandbox hides anyway; a GNUPGHOME elsewhere must be too.
  const keys = p.gnupgHome ? [p.gnupgHome] : [];
  return [path.join(p.baseDir, '.env'), ...config, ...state, p.logDir, p.reposDir, p.promptDir, ...keys].map(
    (x) => path.resolve(x),
  );
}

/**
 * The sandbox for a loaded configuration (the composition root calls this once). Throws
 * `CONFIG_INVALID` when `sandbox.mode` is `bwrap` and bubblewrap cannot run; print `warning`
 * when it is set.
 */
export function createProjectSandbox(loaded: LoadedConfig, promptDir: string): ProcessSandbox {
  const { config, baseDir, env, configPath } = loaded;
  const abs = (p: string) => path.resolve(baseDir, p);
  return createSandbox({
    mode: config.sandbox.mode,
    bwrapPath: config.sandbox.bwrapPath,
    env,
    hide: projectHidePaths({
      baseDir,
      configPath,
      storePath: abs(config.store.path),
      logDir: logDirectory(baseDir, config.logging.directory),
      reposDir: abs(config.folders.repos),
      promptDir,
      gnupgHome: env.GNUPGHOME,
    }),
  });
}
