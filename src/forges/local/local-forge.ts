import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TpError } from '../../errors/index.js';
import type { Store } from '../../store/index.js';
import type { PushAuth } from '../../workspace/index.js';
import { git, refuseOptionLike } from '../../workspace/index.js';
import type { Forge, OpenPullRequestInput, PullRequest, PullRequestReview } from '../types.js';

export interface LocalForgeOptions {
  store: Store;
  /** The target repository (local path, bare or not, or any URL git can push to). */
  remote: string;
  author: { name: string; email: string };
}

/**
 * The zero-server forge: branches go to the target repository, pull requests are rows in
 * the store, and `merge` merges the branch into the base branch of the target itself.
 */
export class LocalForge implements Forge {
  readonly type = 'local';

  constructor(private readonly options: LocalForgeOptions) {}

  async remoteUrl(): Promise<string> {
    return this.options.remote;
  }

  pushAuth(): PushAuth | undefined {
    return undefined;
  }

  async ensureRepo(): Promise<void> {
    if (/^[a-z]+:\/\//i.test(this.options.remote) || this.options.remote.includes('@')) return;
    if (!existsSync(this.options.remote)) {
      throw new TpError(`Target repository ${this.options.remote} does not exist.`, {
        code: 'FORGE_NOT_FOUND',
        hint: 'Set repository.url to an existing git repository (a local path or a remote URL).',
      });
    }
  }

  private toPr(r: ReturnType<Store['getPullRequest']>): PullRequest {
    if (!r) throw new TpError('Pull request not found.', { code: 'FORGE_NOT_FOUND' });
    return {
      number: r.number,
      url: `local:${r.repo}#${r.number}`,
      title: r.title,
      head: r.head,
      base: r.base,
      state: r.state,
    };
  }

  async findPullRequest(head: string, remote = this.options.remote): Promise<PullRequest | undefined> {
    const r = this.options.store.findOpenPullRequest(remote, head);
    return r ? this.toPr(r) : undefined;
  }

  async openPullRequest(input: OpenPullRequestInput): Promise<PullRequest> {
    const repo = input.remote ?? this.options.remote;
    const existing = await this.findPullRequest(input.head, repo);
    if (existing) return existing;
    const rec = this.options.store.createPullRequest({
      repo,
      head: input.head,
      base: input.base,
      title: input.title,
      body: input.body,
      labels: input.labels,
      taskId: input.taskId,
    });
    return this.toPr(rec);
  }

  async comment(prNumber: number, body: string): Promise<void> {
    this.toPr(this.options.store.getPullRequest(prNumber));
    this.options.store.addComment(prNumber, body);
  }

  /** The summary becomes a comment; line comments are kept in the store (`pr show` prints them). */
  async addReview(prNumber: number, review: PullRequestReview): Promise<void> {
    this.toPr(this.options.store.getPullRequest(prNumber));
    if (review.body.trim()) this.options.store.addComment(prNumber, review.body);
    this.options.store.addReviewComments(prNumber, review.comments);
  }

  /**
   * The local forge has no users: its pull requests are rows in our own store, and the only
   * ways to comment on one are the CLI on this machine or a webhook signed with our secret.
   * Both are the operator, so every commenter may start a run (webhook.allowedCommenters
   * still applies).
   */
  async commenterCanTrigger(): Promise<boolean> {
    return true;
  }

  /**
   * No forge hosts a local pull request, so an event naming a forge repository is never
   * about one of ours.
   */
  isOwnRepository(): boolean {
    return false;
  }

  async close(prNumber: number): Promise<PullRequest> {
    this.toPr(this.options.store.getPullRequest(prNumber));
    this.options.store.setPullRequestState(prNumber, 'closed');
    return this.toPr(this.options.store.getPullRequest(prNumber));
  }

  async merge(prNumber: number): Promise<PullRequest> {
    const pr = this.toPr(this.options.store.getPullRequest(prNumber));
    if (pr.state === 'merged') return pr;
    if (pr.state !== 'open')
      throw new TpError(`Pull request #${prNumber} is ${pr.state}.`, { code: 'FORGE_CONFLICT' });
    await this.mergeIntoRemote(pr, this.options.store.getPullRequest(prNumber)!.repo);
    this.options.store.setPullRequestState(prNumber, 'merged');
    return this.toPr(this.options.store.getPullRequest(prNumber));
  }

  private async mergeIntoRemote(pr: PullRequest, remote: string): Promise<void> {
    const { name, email } = this.options.author;
    const identity = ['-c', `user.name=${name}`, '-c', `user.email=${email}`];
    const message = `Merge pull request #${pr.number}: ${pr.title}`;
    // Branch names come from a task's run; a name git would read as an option is refused.
    refuseOptionLike(pr.base, 'base branch');
    refuseOptionLike(pr.head, 'branch');
    refuseOptionLike(remote, 'repository');
    const bare =
      (await git(['rev-parse', '--is-bare-repository'], { cwd: remote }).catch(() => 'true')) === 'true';
    const current = bare
      ? ''
      : await git(['symbolic-ref', '--short', 'HEAD'], { cwd: remote }).catch(() => '');
    if (!bare && current === pr.base) {
      // A non-bare target with the base branch checked out refuses pushes to it: merge in place.
      await git([...identity, 'merge', '--no-ff', '--no-edit', '-m', message, '--end-of-options', pr.head], {
        cwd: remote,
      });
      return;
    }
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'tp-merge-'));
    try {
      await git(['clone', '--quiet', '--branch', pr.base, '--', remote, tmp], { cwd: os.tmpdir() });
      await git(['fetch', '--quiet', '--', 'origin', `refs/heads/${pr.head}`], { cwd: tmp });
      await git([...identity, 'merge', '--no-ff', '--no-edit', '-m', message, 'FETCH_HEAD'], { cwd: tmp });
      await git(['push', '--quiet', '--', 'origin', `HEAD:refs/heads/${pr.base}`], { cwd: tmp });
    } catch (err) {
      throw new TpError(`Merging ${pr.head} into ${pr.base} failed: ${(err as Error).message}`, {
        code: 'FORGE_CONFLICT',
        cause: err,
        hint: `Resolve the conflict by hand on branch ${pr.head}, then run \`ticket-processor pr merge ${pr.number}\` again.`,
      });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
}
