import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TpError } from '../errors/index.js';
import { hasPerTaskRepositories } from '../forges/gitea/index.js';
import type { Forge, PushAuth } from '../forges/types.js';
import type { Task } from '../tasks/types.js';

/** Where a run's branch goes, and with which credentials. */
export interface TaskTarget {
  /** Repository to clone and push: always an operator-configured value, never the task's own string. */
  remote: string;
  /** The forge's push credentials, only when `remote` is the forge's own origin. */
  auth: PushAuth | undefined;
  baseBranch: string;
}

export interface TargetPolicy {
  /** Directory relative paths in config and tasks are resolved against. */
  baseDir: string;
  /** `repository.url` (or the repository a local forge targets by default); undefined with per-task repositories. */
  configuredUrl: string | undefined;
  /** `repository.allowed`. */
  allowed: readonly string[];
  /** `repository.baseBranch`. */
  baseBranch: string;
  /** `repository.allowedBaseBranches`. */
  allowedBaseBranches: readonly string[];
  forge: Forge;
  /**
   * The repository of a task that names none (`repository.url`, the forge origin, or a local
   * per-task repository). A forge with per-task repositories (Gitea with
   * `repository.perTaskRepo`) answers this itself.
   */
  defaultRemote(task: Task, baseBranch: string): Promise<string>;
  /**
   * The repository of a task that names none, where it is known before any task (a configured
   * or forge repository; not per-task repositories): what the service readies at start-up.
   */
  knownDefaultRemote?: () => Promise<string | undefined>;
}

/** `targetFor(task)`, and the default target where it is known without a task. */
export type TargetResolver = ((task: Task) => Promise<TaskTarget>) & {
  defaultTarget: () => Promise<TaskTarget | undefined>;
};

const URL_RE = /^[a-z][a-z0-9+.-]*:\/\//i;
// git reads `host:path` (no slash before the colon) as ssh, like `git@host:org/repo.git`.
const SCP_RE = /^(?:([^@/]+)@)?([^:/]+):(.*)$/;

const stripRepoSuffix = (p: string) =>
  p
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .replace(/\/+$/, '');

/**
 * The identity of a repository reference, for comparison only. Forge URLs: scheme and host
 * lower-cased, default port dropped, a trailing `/` or `.git` ignored (every forge serves
 * both); user, password, port, path, query and fragment must match exactly. Local paths
 * (and file:// URLs): absolute, symlinks resolved; `.git` is part of a directory name there.
 * Throws for what is no repository reference at all (an option-like `-…`, a broken URL).
 */
export function repoKey(value: string, baseDir: string): string {
  const v = value.trim();
  if (v === '' || v.startsWith('-')) throw new Error('not a repository reference');
  if (URL_RE.test(v)) {
    const u = new URL(v);
    const scheme = u.protocol.toLowerCase();
    if (scheme === 'file:') return localKey(fileURLToPath(u));
    const user = u.username ? `${u.username}${u.password ? `:${u.password}` : ''}@` : '';
    const host = u.hostname.toLowerCase();
    const port =
      u.port && !(scheme === 'http:' && u.port === '80') && !(scheme === 'https:' && u.port === '443');
    return `${scheme}//${user}${host}${port ? `:${u.port}` : ''}${stripRepoSuffix(u.pathname)}${u.search}${u.hash}`;
  }
  const scp = SCP_RE.exec(v);
  if (scp && !path.isAbsolute(v)) {
    return `scp://${scp[1] ? `${scp[1]}@` : ''}${scp[2]!.toLowerCase()}/${stripRepoSuffix(scp[3]!)}`;
  }
  return localKey(path.resolve(baseDir, v));
}

function localKey(p: string): string {
  let real = p;
  try {
    real = realpathSync(p);
  } catch {
    // Not there (yet): compare the resolved path.
  }
  return real.length > 1 ? real.replace(/\/+$/, '') : real;
}

/** The value git is given for a configured reference: URLs as written, paths made absolute. */
export function remoteFromConfig(value: string, baseDir: string): string {
  return URL_RE.test(value) || (SCP_RE.test(value) && !path.isAbsolute(value))
    ? value
    : path.resolve(baseDir, value);
}

function sameRepo(a: string, b: string, baseDir: string): boolean {
  try {
    return repoKey(a, baseDir) === repoKey(b, baseDir);
  } catch {
    return false;
  }
}

/**
 * Builds `targetFor(task)`: a task's `repo:` must name `repository.url`, an entry of
 * `repository.allowed` or the forge's own repository, and its `baseBranch:` must be
 * `repository.baseBranch` or in `repository.allowedBaseBranches`; anything else fails the task,
 * not retryable. The token goes only to the forge's own origin, never to another remote even
 * an allowed one.
 */
export function createTargetResolver(policy: TargetPolicy): TargetResolver {
  const { baseDir, forge } = policy;
  const bases = policy.allowedBaseBranches.length > 0 ? policy.allowedBaseBranches : [policy.baseBranch];
  const perTask = hasPerTaskRepositories(forge) ? forge : undefined;
  const forgeOrigin = async () => (forge.type === 'local' || perTask ? undefined : forge.remoteUrl());
  // The token goes only to the forge's own repository.
  const authFor = async (remote: string) => {
    const auth = forge.pushAuth();
    const own = !auth
      ? false
      : perTask
        ? perTask.ownsRemote(remote)
        : sameRepo(remote, (await forgeOrigin()) ?? '', baseDir);
    return own ? auth : undefined;
  };
  const defaultTarget = async (): Promise<TaskTarget | undefined> => {
    if (perTask) return undefined;
    const remote = await policy.knownDefaultRemote?.();
    if (!remote) return undefined;
    return { remote, auth: await authFor(remote), baseBranch: policy.baseBranch };
  };
  const resolve = async (task: Task): Promise<TaskTarget> => {
    const baseBranch = task.baseBranch ?? policy.baseBranch;
    if (
      task.baseBranch !== undefined &&
      task.baseBranch !== policy.baseBranch &&
      !bases.includes(baseBranch)
    ) {
      throw new TpError(
        `Task ${task.id} asks for base branch "${task.baseBranch}", which is not allowed (allowed: ${bases.join(', ')}).`,
        {
          code: 'TASK_BASE_NOT_ALLOWED',
          retryable: false,
          hint: 'Remove baseBranch from the task, or add the branch to repository.allowedBaseBranches in config.json and retry.',
        },
      );
    }
    let remote: string;
    if (task.repo) {
      const origin = await forgeOrigin();
      const candidates = [
        ...(policy.configuredUrl ? [remoteFromConfig(policy.configuredUrl, baseDir)] : []),
        ...policy.allowed.map((a) => remoteFromConfig(a, baseDir)),
        ...(origin ? [origin] : []),
      ];
      const wanted = task.repo;
      const match = candidates.find((c) => sameRepo(c, wanted, baseDir));
      if (!match) {
        throw new TpError(
          `Task ${task.id} names repository ${JSON.stringify(wanted.slice(0, 200))}, which is not in repository.allowed.`,
          {
            code: 'TASK_REPO_NOT_ALLOWED',
            retryable: false,
            hint: 'Remove repo from the task, or add the repository (URL or path) to repository.allowed in config.json and retry.',
          },
        );
      }
      remote = match;
    } else {
      remote = perTask ? await perTask.repositoryFor(task.id) : await policy.defaultRemote(task, baseBranch);
    }
    return { remote, auth: await authFor(remote), baseBranch };
  };
  return Object.assign(resolve, { defaultTarget });
}
