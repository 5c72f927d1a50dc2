import { TpError } from '../../errors/index.js';
import type {
  CommentAuthor,
  Forge,
  OpenPullRequestInput,
  PullRequest,
  PullRequestReview,
  PushAuth,
} from '../types.js';
import { GiteaForge, type GiteaForgeOptions } from './gitea-forge.js';

/*
 * The original tool's layout on Gitea: every task gets a repository of its own, created
 * through the API (POST /orgs/{org}/repos, or /user/repos when the owner is the token's user)
 * and named after the task (`task-{id}`), and its branch and pull request go there.
 */

export interface GiteaPerTaskForgeOptions extends Omit<GiteaForgeOptions, 'repo' | 'createRepo'> {
  /**
   * The repository name of a task; the original used its task id pattern (`task-{id}`).
   * Must contain `{id}`.
   */
  namePattern: string;
  /**
   * Repositories of runs that recorded pull request `prNumber` (from the store), for a PR
   * this process did not open itself (after a restart).
   */
  recordedRepos?: (prNumber: number) => string[];
  /**
   * Tasks run one at a time (`processing.concurrency: 1`): the review and the auto-merge that
   * follow a PR's opening then belong to the PR opened last under that number.
   */
  sequential?: boolean;
}

/** A forge whose repository depends on the task: see `repositoryFor`. */
export interface PerTaskRepositories {
  /** Creates the task's repository when it does not exist, and returns its clone URL (no credentials). */
  repositoryFor(taskId: string): Promise<string>;
  /** Whether `remote` is one of the repositories this forge made for tasks. */
  ownsRemote(remote: string): boolean;
}

/** True for a forge that keeps one repository per task. */
export function hasPerTaskRepositories(forge: Forge): forge is Forge & PerTaskRepositories {
  return typeof (forge as Partial<PerTaskRepositories>).repositoryFor === 'function';
}

/** Gitea accepts letters, digits, `-`, `_` and `.` in repository names. */
export function perTaskRepoName(pattern: string, taskId: string): string {
  return pattern.replaceAll('{id}', taskId).replace(/[^A-Za-z0-9_.-]/g, '-');
}

/**
 * `repository.perTaskRepo` on a Gitea forge. One `GiteaForge` per task repository; calls that
 * name only a PR number are routed to the repository that PR was opened in. Every task
 * repository's first PR is #1, so a number that two open task PRs share is refused
 * (`FORGE_CONFLICT`) rather than guessed: merging or commenting on the wrong PR is worse
 * than leaving one for a person. With tasks run one at a time (`sequential`), the review and
 * auto-merge of a run go to the PR it opened last.
 */
export class GiteaPerTaskForge implements Forge, PerTaskRepositories {
  readonly type = 'gitea';
  private readonly forges = new Map<string, GiteaForge>();
  private readonly remotes = new Map<string, string>();
  /** PR number → repositories with an open PR of that number, opened or found by this process. */
  private readonly opened = new Map<number, Set<string>>();
  /** PR number → the repository whose PR of that number was opened or found last. */
  private readonly latest = new Map<number, string>();
  private readonly nameRe: RegExp;
  private readonly base: Omit<GiteaForgeOptions, 'repo' | 'createRepo'>;

  constructor(private readonly options: GiteaPerTaskForgeOptions) {
    if (!options.namePattern.includes('{id}')) {
      throw new TpError(`The per-task repository name "${options.namePattern}" has no {id}.`, {
        code: 'CONFIG_INVALID',
        hint: 'Set taskIdFormat.pattern to a pattern with {id}, e.g. task-{id}.',
      });
    }
    const [before, after] = options.namePattern
      .split('{id}', 2)
      .map((s) => s.replace(/[^A-Za-z0-9_.-]/g, '-'));
    this.nameRe = new RegExp(`^${escapeRe(before ?? '')}[A-Za-z0-9_.-]+${escapeRe(after ?? '')}$`, 'i');
    const { namePattern: _p, recordedRepos: _r, sequential: _s, ...base } = options;
    this.base = base;
    // Constructing one checks the token the same way a single-repository forge does.
    new GiteaForge({ ...base, repo: 'token-check' });
  }

  /** Creates the task's repository when missing and returns its clone URL. */
  async repositoryFor(taskId: string): Promise<string> {
    const name = perTaskRepoName(this.options.namePattern, taskId);
    const forge = this.forgeFor(name);
    await forge.ensureRepo();
    const url = await forge.remoteUrl();
    this.remotes.set(remoteKey(url), name);
    return url;
  }

  ownsRemote(remote: string): boolean {
    return this.remotes.has(remoteKey(remote));
  }

  /** There is no single repository: a task's comes from `repositoryFor`. */
  async remoteUrl(): Promise<string> {
    throw new TpError('With repository.perTaskRepo every task has its own Gitea repository.', {
      code: 'INTERNAL',
      hint: 'Resolve the task target through repositoryFor(taskId).',
    });
  }

  pushAuth(): PushAuth {
    return { header: `Authorization: token ${this.options.token}` };
  }

  /** Nothing to check up front: each task's repository is created when the task starts. */
  async ensureRepo(): Promise<void> {}

  async findPullRequest(head: string, remote?: string): Promise<PullRequest | undefined> {
    const name = remote ? this.remotes.get(remoteKey(remote)) : undefined;
    if (!name) return undefined;
    const pr = await this.forgeFor(name).findPullRequest(head);
    if (pr) this.remember(pr.number, name);
    return pr;
  }

  async openPullRequest(input: OpenPullRequestInput): Promise<PullRequest> {
    const name =
      (input.remote ? this.remotes.get(remoteKey(input.remote)) : undefined) ??
      perTaskRepoName(this.options.namePattern, input.taskId);
    const pr = await this.forgeFor(name).openPullRequest(input);
    this.remember(pr.number, name);
    return pr;
  }

  async comment(prNumber: number, body: string, repository?: string): Promise<void> {
    await this.forgeFor(this.repoOf(prNumber, repository)).comment(prNumber, body);
  }

  async addReview(prNumber: number, review: PullRequestReview, repository?: string): Promise<void> {
    await this.forgeFor(this.repoOf(prNumber, repository, true)).addReview(prNumber, review);
  }

  async merge(prNumber: number, repository?: string): Promise<PullRequest> {
    const name = this.repoOf(prNumber, repository, true);
    const pr = await this.forgeFor(name).merge(prNumber);
    if (pr.state !== 'open') this.opened.get(prNumber)?.delete(name);
    return pr;
  }

  /**
   * Asks the repository the event came from (the webhook payload names it); without one the
   * PR number decides, and an ambiguous one fails closed.
   */
  async commenterCanTrigger(author: CommentAuthor & { repository?: string }): Promise<boolean> {
    const fromEvent = author.repository?.split('/').pop();
    const name = fromEvent && this.isOwnRepository(author.repository ?? '') ? fromEvent : undefined;
    if (name) return this.forgeFor(name).commenterCanTrigger(author);
    return false;
  }

  /** `owner/<a name the pattern makes>`, compared without case as Gitea does. */
  isOwnRepository(name: string): boolean {
    const [owner, repo, ...rest] = name.split('/');
    return (
      rest.length === 0 &&
      owner?.toLowerCase() === this.options.owner.toLowerCase() &&
      repo !== undefined &&
      this.nameRe.test(repo)
    );
  }

  private forgeFor(name: string): GiteaForge {
    let forge = this.forges.get(name);
    if (!forge) {
      forge = new GiteaForge({ ...this.base, repo: name, createRepo: true });
      this.forges.set(name, forge);
    }
    return forge;
  }

  private remember(prNumber: number, name: string): void {
    const set = this.opened.get(prNumber) ?? new Set<string>();
    set.add(name);
    this.opened.set(prNumber, set);
    this.latest.set(prNumber, name);
  }

  /**
   * The task repository of PR `prNumber`: the one the caller names when it is a task
   * repository, else inferred from the number (a PR opened for a task whose `repo:` points
   * elsewhere still went to the task's repository). `afterOpen`: a call that follows the PR's
   * opening in the same run (review, auto-merge).
   */
  private repoOf(prNumber: number, repository: string | undefined, afterOpen = false): string {
    const named = repository === undefined ? undefined : this.named(repository);
    if (named) return named;
    const last = this.latest.get(prNumber);
    if (afterOpen && this.options.sequential && last) return last;
    const here = [...(this.opened.get(prNumber) ?? [])];
    const candidates = here.length > 0 ? here : [...new Set(this.options.recordedRepos?.(prNumber) ?? [])];
    if (candidates.length === 1) return candidates[0]!;
    const which = candidates.length === 0 ? 'no task repository' : `several (${candidates.join(', ')})`;
    throw new TpError(
      `Pull request #${prNumber} is in ${which}: with per-task repositories the number alone cannot say which.`,
      {
        code: candidates.length === 0 ? 'FORGE_NOT_FOUND' : 'FORGE_CONFLICT',
        hint: 'Act on the pull request in Gitea directly (its repository is named after the task).',
      },
    );
  }

  /**
   * A clone URL this forge handed out, or the `owner/name` of a task repository (also read from
   * a URL's path, for a URL handed out before a restart); undefined for any other repository.
   */
  private named(repository: string): string | undefined {
    const known = this.remotes.get(remoteKey(repository));
    if (known) return known;
    const ownerName = /^[a-z]+:\/\//i.test(repository) ? pathOwnerName(repository) : repository;
    return ownerName && this.isOwnRepository(ownerName) ? ownerName.split('/')[1] : undefined;
  }
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `owner/name` from a clone URL's last two path segments (`.git` dropped). */
function pathOwnerName(url: string): string | undefined {
  try {
    const parts = new URL(url).pathname
      .replace(/\/+$/, '')
      .replace(/\.git$/, '')
      .split('/');
    return parts.length >= 3 ? parts.slice(-2).join('/') : undefined;
  } catch {
    return undefined;
  }
}

/** Clone URLs compared without a trailing `/` or `.git` and without case in the host. */
function remoteKey(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host.toLowerCase()}${u.pathname.replace(/\/+$/, '').replace(/\.git$/, '')}`;
  } catch {
    return url;
  }
}
