import { Octokit, type RestEndpointMethodTypes } from '@octokit/rest';
import type { RetryPolicy } from 'cockatiel';
import { TpError } from '../../errors/index.js';
import { cleanCloneUrl } from '../clone-url.js';
import { type ForgeRetryOptions, forgeRetryPolicy } from '../forge-retry.js';
import { isContentRejection, postReviewWithFallback } from '../review-text.js';
import type {
  CommentAuthor,
  Forge,
  OpenPullRequestInput,
  PullRequest,
  PullRequestReview,
  PushAuth,
} from '../types.js';
import { githubError } from './errors.js';

type Repo = RestEndpointMethodTypes['repos']['get']['response']['data'];
/** `pulls.list` items lack `merged`; `pulls.get`/`create` have it. Both have `merged_at`. */
type AnyPull =
  | RestEndpointMethodTypes['pulls']['get']['response']['data']
  | RestEndpointMethodTypes['pulls']['list']['response']['data'][number];

export interface GitHubForgeOptions {
  /** Token (env GITHUB_TOKEN): classic `repo` scope or fine-grained contents + pull requests write. */
  token: string;
  /** User or organisation owning the repository (forge.owner). */
  owner: string;
  /** Repository name (forge.repo). */
  repo: string;
  /** forge.url: default https://api.github.com; GitHub Enterprise `https://HOST` or `https://HOST/api/v3`. */
  baseUrl?: string;
  /** Create the repository when it is missing (forge.createRepo). */
  createRepo?: boolean;
  /** Visibility of a repository created by `ensureRepo`. Default true: task code stays private. */
  privateRepo?: boolean;
  /** Transport overrides passed to Octokit (tests inject `fetch`). */
  request?: { fetch?: typeof fetch };
  retry?: ForgeRetryOptions;
  /** Per-request time limit in ms. Default 30 000. */
  timeoutMs?: number;
  /** Where Octokit's deprecation notices go; default: dropped. */
  log?: { warn(message: string): void };
}

const noop = () => {};

/**
 * `author_association` values of people who can push: the repository owner, members of the
 * owning organisation and invited collaborators. CONTRIBUTOR, FIRST_TIMER, NONE and the like
 * are people whose earlier pull requests were merged, or nobody at all.
 */
const TRUSTED_ASSOCIATIONS = new Set(['OWNER', 'MEMBER', 'COLLABORATOR']);

/**
 * The REST root for a configured forge URL: none or github.com → https://api.github.com; a
 * GitHub Enterprise server root (https://ghe.example.com) → its `/api/v3`; a URL that already
 * is an API root is kept. Users write the address they browse to, Octokit wants the API root.
 */
export function githubApiUrl(url: string | undefined): string {
  if (!url) return 'https://api.github.com';
  const trimmed = url.replace(/\/+$/, '');
  let host: string;
  try {
    host = new URL(trimmed).hostname.toLowerCase();
  } catch {
    throw new TpError(`forge.url "${trimmed}" is not a URL.`, {
      code: 'CONFIG_INVALID',
      hint: 'Set forge.url to https://github.com, or to your GitHub Enterprise server, e.g. https://ghe.example.com.',
    });
  }
  if (host === 'github.com' || host === 'www.github.com' || host === 'api.github.com')
    return 'https://api.github.com';
  return /\/api\/v3$/.test(trimmed) ? trimmed : `${trimmed}/api/v3`;
}

/**
 * Publishes task branches as pull requests on GitHub or GitHub Enterprise through Octokit.
 * Idempotent where a restart needs it: an open PR for the branch is reused, and labels are
 * added (GitHub creates missing ones) on both a new and a reused PR.
 */
export class GitHubForge implements Forge {
  readonly type = 'github';
  private readonly octokit: Octokit;
  private readonly policy: RetryPolicy;
  private readonly timeoutMs: number;
  private repoInfo: Repo | undefined;

  constructor(private readonly options: GitHubForgeOptions) {
    if (!options.token) {
      throw new TpError('The GitHub forge needs a token.', {
        code: 'CONFIG_INVALID',
        hint: 'Set GITHUB_TOKEN (classic: `repo` scope; fine-grained: contents and pull_requests write).',
      });
    }
    this.octokit = new Octokit({
      auth: options.token,
      baseUrl: githubApiUrl(options.baseUrl),
      userAgent: 'ticket-processor',
      request: options.request?.fetch ? { fetch: options.request.fetch } : {},
      // Octokit's request log writes failed calls to console.error; ours are thrown as TpErrors instead.
      log: { debug: noop, info: noop, warn: (m: string) => options.log?.warn(m), error: noop },
    });
    this.policy = forgeRetryPolicy(options.retry);
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Clone URL reported by GitHub, with any userinfo stripped (auth goes in `pushAuth`). */
  async remoteUrl(): Promise<string> {
    const info = this.repoInfo ?? (await this.fetchRepo());
    return cleanCloneUrl(info?.clone_url, 'GitHub', this.fullName());
  }

  /**
   * GitHub's git HTTP endpoint takes a token as the password of HTTP Basic auth; the user name
   * `x-access-token` works for classic, fine-grained and App installation tokens alike.
   */
  pushAuth(): PushAuth {
    const basic = Buffer.from(`x-access-token:${this.options.token}`).toString('base64');
    return { header: `Authorization: Basic ${basic}` };
  }

  /** Fetches the repository; creates it (org or the token's user) when missing and allowed. */
  async ensureRepo(): Promise<void> {
    if (await this.fetchRepo()) return;
    if (!this.options.createRepo) {
      throw new TpError(
        `Repository ${this.fullName()} does not exist on GitHub (or the token cannot see it).`,
        {
          code: 'FORGE_NOT_FOUND',
          hint: 'Create the repository on GitHub, or set forge.createRepo: true to let ticket-processor create it.',
        },
      );
    }
    const common = { name: this.options.repo, private: this.options.privateRepo ?? true, auto_init: false };
    try {
      const created = (await this.ownerIsOrg())
        ? await this.call('POST /orgs/{org}/repos', (request) =>
            this.octokit.repos.createInOrg({ org: this.options.owner, ...common, request }),
          )
        : await this.call('POST /user/repos', (request) =>
            this.octokit.repos.createForAuthenticatedUser({ ...common, request }),
          );
      this.repoInfo = created.data as Repo;
    } catch (err) {
      // A concurrent creator won the race (422 "name already exists"): the repository is there now.
      if (TpError.isInstance(err) && err.code === 'FORGE_CONFLICT' && (await this.fetchRepo())) return;
      throw err;
    }
  }

  /** The open pull request whose head is branch `head` of this repository, if any. */
  async findPullRequest(head: string): Promise<PullRequest | undefined> {
    const res = await this.call('GET /repos/{owner}/{repo}/pulls', (request) =>
      this.octokit.pulls.list({
        ...this.repoParams(),
        state: 'open',
        head: `${this.options.owner}:${head}`,
        per_page: 100,
        request,
      }),
    );
    // The head filter is exact on GitHub; the check guards against servers that ignore it.
    const hit = res.data.find((pr) => pr.head.ref === head);
    return hit ? this.toPullRequest(hit) : undefined;
  }

  /**
   * Opens a PR and labels it. If GitHub answers 422 because a PR for this head already
   * exists, the open one is reused (and labelled), so a restarted run does not fail.
   */
  async openPullRequest(input: OpenPullRequestInput): Promise<PullRequest> {
    let pr: PullRequest;
    try {
      const res = await this.call('POST /repos/{owner}/{repo}/pulls', (request) =>
        this.octokit.pulls.create({
          ...this.repoParams(),
          title: input.title,
          body: input.body,
          head: input.head,
          base: input.base,
          request,
        }),
      );
      pr = this.toPullRequest(res.data);
    } catch (err) {
      const existing =
        TpError.isInstance(err) && err.code === 'FORGE_CONFLICT'
          ? await this.findPullRequest(input.head)
          : undefined;
      if (!existing) throw TpError.isInstance(err) ? err.withTask(input.taskId) : err;
      pr = existing;
    }
    const labels = [...new Set(input.labels.map((l) => l.trim()).filter(Boolean))];
    if (labels.length > 0) {
      // PRs are issues for labels; GitHub creates labels that do not exist yet.
      await this.call('POST /repos/{owner}/{repo}/issues/{issue_number}/labels', (request) =>
        this.octokit.issues.addLabels({ ...this.repoParams(), issue_number: pr.number, labels, request }),
      );
    }
    return pr;
  }

  /** Adds a comment to the PR's conversation. */
  async comment(prNumber: number, body: string): Promise<void> {
    await this.call('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', (request) =>
      this.octokit.issues.createComment({ ...this.repoParams(), issue_number: prNumber, body, request }),
    );
  }

  /**
   * Posts a pull request review (event COMMENT) with comments on new-side lines. GitHub
   * refuses the whole review with 422 when one line is outside the diff, without saying
   * which: the review is then posted again with every comment folded into its body.
   */
  async addReview(prNumber: number, review: PullRequestReview): Promise<void> {
    await postReviewWithFallback(review, {
      post: async (body, comments) => {
        await this.call('POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews', (request) =>
          this.octokit.pulls.createReview({
            ...this.repoParams(),
            pull_number: prNumber,
            event: 'COMMENT',
            // GitHub refuses a COMMENT review without a body, even when it has line comments.
            body: body.trim() ? body : 'Code review: see the comments on the changed lines.',
            ...(review.commitSha ? { commit_id: review.commitSha } : {}),
            comments: comments.map((c) => ({ path: c.path, line: c.line, side: 'RIGHT', body: c.body })),
            request,
          }),
        );
      },
      comment: (text) => this.comment(prNumber, text),
      canFold: isContentRejection,
    });
  }

  /**
   * Merges with a merge commit and returns the PR as it is afterwards. A PR that is already
   * merged (e.g. a retry after a lost response) counts as success.
   */
  async merge(prNumber: number): Promise<PullRequest> {
    try {
      await this.call('PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge', (request) =>
        this.octokit.pulls.merge({
          ...this.repoParams(),
          pull_number: prNumber,
          merge_method: 'merge',
          request,
        }),
      );
    } catch (err) {
      if (!TpError.isInstance(err) || err.code !== 'FORGE_CONFLICT') throw err;
      const now = await this.getPullRequest(prNumber);
      if (now.state !== 'merged') {
        throw new TpError(`${err.message} (pull request #${prNumber} cannot be merged)`, {
          code: 'FORGE_CONFLICT',
          details: err.details,
          hint: 'Resolve the conflict or failing required checks on the branch, or merge the pull request by hand.',
        });
      }
      return now;
    }
    return this.getPullRequest(prNumber);
  }

  /**
   * GitHub puts the commenter's relation to the repository in the webhook payload
   * (`comment.author_association`), so no API call is needed: OWNER, MEMBER and COLLABORATOR
   * may start runs. A payload without it (not from GitHub) may not.
   */
  async commenterCanTrigger(author: CommentAuthor): Promise<boolean> {
    return TRUSTED_ASSOCIATIONS.has(String(author.authorAssociation ?? '').toUpperCase());
  }

  /** True for this forge's `owner/repo`; GitHub names are case-insensitive. */
  isOwnRepository(name: string): boolean {
    return name.toLowerCase() === this.fullName().toLowerCase();
  }

  private async getPullRequest(prNumber: number): Promise<PullRequest> {
    const res = await this.call('GET /repos/{owner}/{repo}/pulls/{pull_number}', (request) =>
      this.octokit.pulls.get({ ...this.repoParams(), pull_number: prNumber, request }),
    );
    return this.toPullRequest(res.data);
  }

  private async fetchRepo(): Promise<Repo | undefined> {
    try {
      const res = await this.call('GET /repos/{owner}/{repo}', (request) =>
        this.octokit.repos.get({ ...this.repoParams(), request }),
      );
      this.repoInfo = res.data;
      return res.data;
    } catch (err) {
      if (TpError.isInstance(err) && err.code === 'FORGE_NOT_FOUND') return undefined;
      throw err;
    }
  }

  /** True when `owner` is an organisation; false when it is the token's own user. */
  private async ownerIsOrg(): Promise<boolean> {
    try {
      await this.call('GET /orgs/{org}', (request) =>
        this.octokit.orgs.get({ org: this.options.owner, request }),
      );
      return true;
    } catch (err) {
      if (!TpError.isInstance(err) || err.code !== 'FORGE_NOT_FOUND') throw err;
    }
    const me = await this.call('GET /user', (request) => this.octokit.users.getAuthenticated({ request }));
    if (me.data.login.toLowerCase() === this.options.owner.toLowerCase()) return false;
    throw new TpError(
      `Cannot create ${this.fullName()}: "${this.options.owner}" is neither an organisation nor the token's user.`,
      {
        code: 'FORGE_NOT_FOUND',
        hint: 'Set forge.owner to an existing organisation or to the user the token belongs to.',
      },
    );
  }

  /**
   * Runs one Octokit call under the retry policy with a per-attempt time limit; every failure
   * leaves as a redacted `TpError`.
   */
  private call<T>(what: string, fn: (request: { signal: AbortSignal }) => Promise<T>): Promise<T> {
    return this.policy.execute(async ({ signal }) => {
      try {
        return await fn({ signal: AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]) });
      } catch (err) {
        throw githubError(err, this.options.token, what);
      }
    });
  }

  private repoParams() {
    return { owner: this.options.owner, repo: this.options.repo };
  }

  private toPullRequest(pr: AnyPull): PullRequest {
    const merged = ('merged' in pr && pr.merged === true) || Boolean(pr.merged_at);
    return {
      number: pr.number,
      url: pr.html_url,
      title: pr.title,
      head: pr.head.ref,
      base: pr.base.ref,
      state: merged ? 'merged' : pr.state === 'closed' ? 'closed' : 'open',
    };
  }

  private fullName(): string {
    return `${this.options.owner}/${this.options.repo}`;
  }
}
