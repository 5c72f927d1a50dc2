import { createHash } from 'node:crypto';
import { TpError } from '../../errors/index.js';
import { cleanCloneUrl } from '../clone-url.js';
import type {
  CommentAuthor,
  Forge,
  OpenPullRequestInput,
  PullRequest,
  PullRequestReview,
  PushAuth,
} from '../types.js';
import { GiteaApiClient, type GiteaRetryOptions } from './api-client.js';
import type {
  GiteaCollaboratorPermission,
  GiteaLabel,
  GiteaPullRequest,
  GiteaRepository,
  GiteaUser,
} from './api-types.js';
import { postGiteaReview } from './gitea-review.js';

/** Gitea access modes that include pushing to the repository. */
const WRITE_MODES = new Set(['write', 'admin', 'owner']);

export interface GiteaForgeOptions {
  /** Server root, e.g. `https://git.example.com` (config forge.url / env GITEA_URL). */
  baseUrl: string;
  /** API token (env GITEA_TOKEN). Sent only in headers, never in URLs or messages. */
  token: string;
  /** Org or user owning the repository (forge.owner / GITEA_ORG). */
  owner: string;
  /** Repository name (forge.repo). */
  repo: string;
  /** Create the repository when it is missing (forge.createRepo). */
  createRepo?: boolean;
  /** Visibility of a repository created by `ensureRepo`. Default true: task code stays private. */
  privateRepo?: boolean;
  fetch?: typeof fetch;
  retry?: GiteaRetryOptions;
  timeoutMs?: number;
  /** Page size when listing pull requests and labels. Default 50 (Gitea's usual maximum). */
  pageSize?: number;
}

/**
 * Publishes task branches as pull requests on Gitea or Forgejo (both serve API v1).
 * Idempotent where a restart needs it: an existing open PR for the branch is reused and
 * labels are looked up before they are created.
 */
export class GiteaForge implements Forge {
  readonly type = 'gitea';
  private readonly api: GiteaApiClient;
  private readonly repoPath: string;
  private readonly pageSize: number;
  private repoInfo: GiteaRepository | undefined;

  constructor(private readonly options: GiteaForgeOptions) {
    if (!options.token) {
      throw new TpError('The Gitea forge needs an API token.', {
        code: 'CONFIG_INVALID',
        hint: 'Set GITEA_TOKEN (a token with write:repository and write:issue scopes).',
      });
    }
    // The token ends up in an HTTP header (API and git's http.extraHeader): a line break would
    // let it inject headers, and whitespace is always a copy-paste accident.
    if (/[\s\x00-\x1f\x7f]/.test(options.token)) {
      throw new TpError('The Gitea token contains whitespace or control characters.', {
        code: 'CONFIG_INVALID',
        hint: 'Check GITEA_TOKEN for a trailing newline or a pasted space.',
      });
    }
    this.api = new GiteaApiClient({
      baseUrl: options.baseUrl,
      token: options.token,
      fetch: options.fetch,
      retry: options.retry,
      timeoutMs: options.timeoutMs,
    });
    this.repoPath = `/repos/${encodeURIComponent(options.owner)}/${encodeURIComponent(options.repo)}`;
    this.pageSize = options.pageSize ?? 50;
  }

  /** Clone URL reported by the server, with any userinfo stripped (auth goes in `pushAuth`). */
  async remoteUrl(): Promise<string> {
    const info = this.repoInfo ?? (await this.fetchRepo());
    return cleanCloneUrl(info?.clone_url, 'Gitea', this.fullName());
  }

  /** An `http.extraHeader` value for `git push`, passed per command (never written to .git/config). */
  pushAuth(): PushAuth {
    return { header: `Authorization: token ${this.options.token}` };
  }

  /** Fetches the repository; creates it (org or user namespace) when missing and allowed. */
  async ensureRepo(): Promise<void> {
    if (await this.fetchRepo()) return;
    if (!this.options.createRepo) {
      throw new TpError(`Repository ${this.fullName()} does not exist on the Gitea server.`, {
        code: 'FORGE_NOT_FOUND',
        hint: 'Create the repository on the forge, or set forge.createRepo: true to let ticket-processor create it.',
      });
    }
    const body = { name: this.options.repo, private: this.options.privateRepo ?? true, auto_init: false };
    const createPath = (await this.ownerIsOrg())
      ? `/orgs/${encodeURIComponent(this.options.owner)}/repos`
      : '/user/repos';
    try {
      const res = await this.api.request<GiteaRepository>('POST', createPath, { body });
      this.repoInfo = res.data;
    } catch (err) {
      // A concurrent creator won the race: the repository now exists, which is all we wanted.
      if (TpError.isInstance(err) && err.code === 'FORGE_CONFLICT' && (await this.fetchRepo())) return;
      throw err;
    }
  }

  /** The open pull request whose head branch is `head`, if any. */
  async findPullRequest(head: string): Promise<PullRequest | undefined> {
    for (let page = 1; ; page++) {
      const res = await this.api.request<GiteaPullRequest[]>('GET', `${this.repoPath}/pulls`, {
        query: { state: 'open', page, limit: this.pageSize },
      });
      const list = res.data ?? [];
      const hit = list.find((pr) => pr.head?.ref === head || pr.head?.label === head);
      if (hit) return this.toPullRequest(hit);
      if (list.length < this.pageSize) return undefined;
    }
  }

  /**
   * Opens a PR with the task's labels (created when missing). If Gitea answers that a PR
   * for this head already exists (409/422), the open one is returned instead.
   */
  async openPullRequest(input: OpenPullRequestInput): Promise<PullRequest> {
    const labels = await this.labelIds(input.labels);
    try {
      const res = await this.api.request<GiteaPullRequest>('POST', `${this.repoPath}/pulls`, {
        body: { title: input.title, body: input.body, head: input.head, base: input.base, labels },
      });
      return this.toPullRequest(res.data);
    } catch (err) {
      if (TpError.isInstance(err) && err.code === 'FORGE_CONFLICT') {
        const existing = await this.findPullRequest(input.head);
        if (existing) return existing;
      }
      if (TpError.isInstance(err) && err.code === 'FORGE_NOT_FOUND') {
        throw new TpError(`${err.message} (head ${input.head}, base ${input.base})`, {
          code: 'FORGE_NOT_FOUND',
          taskId: input.taskId,
          details: err.details,
          cause: err,
          hint: `Push both branches before opening the pull request; base "${input.base}" must exist on the forge (repository.baseBranch).`,
        });
      }
      throw TpError.isInstance(err) ? err.withTask(input.taskId) : err;
    }
  }

  /** Adds a comment to the PR's conversation (Gitea PRs are issues, so the issue endpoint). */
  async comment(prNumber: number, body: string): Promise<void> {
    await this.api.request('POST', `${this.repoPath}/issues/${prNumber}/comments`, { body: { body } });
  }

  /**
   * Posts a review (event COMMENT) with the comments on their lines; comments Gitea cannot
   * place are folded into the review's body.
   */
  async addReview(prNumber: number, review: PullRequestReview): Promise<void> {
    await postGiteaReview(this.api, this.repoPath, prNumber, review);
  }

  /**
   * Merges with a merge commit and returns the PR as it is afterwards. A PR that is
   * already merged (e.g. a retry after a lost response) counts as success.
   */
  async merge(prNumber: number): Promise<PullRequest> {
    try {
      await this.api.request('POST', `${this.repoPath}/pulls/${prNumber}/merge`, { body: { Do: 'merge' } });
    } catch (err) {
      if (!TpError.isInstance(err) || err.code !== 'FORGE_CONFLICT') throw err;
      const now = await this.getPullRequest(prNumber);
      if (now.state !== 'merged') {
        throw new TpError(`${err.message} (pull request #${prNumber} cannot be merged)`, {
          code: 'FORGE_CONFLICT',
          details: err.details,
          cause: err,
          hint: 'Resolve the merge conflict on the branch or merge the pull request by hand.',
        });
      }
      return now;
    }
    return this.getPullRequest(prNumber);
  }

  /**
   * Asks Gitea for the commenter's permission on the repository: `write`, `admin` or `owner`
   * may start runs. A login Gitea does not know (404) may not. Gitea answers others'
   * permissions only to admins of the repository, so a 403 means the token is too weak.
   */
  async commenterCanTrigger(author: CommentAuthor): Promise<boolean> {
    if (!author.author) return false;
    const login = encodeURIComponent(author.author);
    try {
      const res = await this.api.request<GiteaCollaboratorPermission>(
        'GET',
        `${this.repoPath}/collaborators/${login}/permission`,
      );
      return WRITE_MODES.has(String(res.data?.permission ?? '').toLowerCase());
    } catch (err) {
      if (TpError.isInstance(err) && err.code === 'FORGE_NOT_FOUND') return false;
      if (TpError.isInstance(err) && err.code === 'FORGE_AUTH') {
        throw new TpError(`${err.message} (reading a commenter's permission on ${this.fullName()})`, {
          code: 'FORGE_AUTH',
          details: err.details,
          cause: err,
          hint: "Gitea shows other users' permissions only to repository admins: give the token's user admin rights on the repository, or keep PR-comment follow-ups off.",
        });
      }
      throw err;
    }
  }

  /** True for this forge's `owner/repo`, compared without case as Gitea does. */
  isOwnRepository(name: string): boolean {
    return name.toLowerCase() === this.fullName().toLowerCase();
  }

  private async getPullRequest(prNumber: number): Promise<PullRequest> {
    const res = await this.api.request<GiteaPullRequest>('GET', `${this.repoPath}/pulls/${prNumber}`);
    return this.toPullRequest(res.data);
  }

  private async fetchRepo(): Promise<GiteaRepository | undefined> {
    try {
      const res = await this.api.request<GiteaRepository>('GET', this.repoPath);
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
      await this.api.request('GET', `/orgs/${encodeURIComponent(this.options.owner)}`);
      return true;
    } catch (err) {
      if (!TpError.isInstance(err) || err.code !== 'FORGE_NOT_FOUND') throw err;
    }
    const me = (await this.api.request<GiteaUser>('GET', '/user')).data;
    if (me?.login?.toLowerCase() === this.options.owner.toLowerCase()) return false;
    throw new TpError(
      `Cannot create ${this.fullName()}: "${this.options.owner}" is neither an organisation nor the token's user.`,
      {
        code: 'FORGE_NOT_FOUND',
        hint: 'Set forge.owner (GITEA_ORG) to an existing organisation or to the user the token belongs to.',
      },
    );
  }

  /** Label ids for names, creating missing labels: the PR API takes ids, not names. */
  private async labelIds(names: string[]): Promise<number[]> {
    const wanted = [...new Set(names.map((n) => n.trim()).filter(Boolean))];
    if (wanted.length === 0) return [];
    let known = await this.listLabels();
    const ids: number[] = [];
    for (const name of wanted) {
      let label = known.find((l) => l.name.toLowerCase() === name.toLowerCase());
      if (!label) {
        try {
          const res = await this.api.request<GiteaLabel>('POST', `${this.repoPath}/labels`, {
            body: { name, color: labelColor(name) },
          });
          label = res.data;
        } catch (err) {
          // Someone created it between our list and our create: list again and use theirs.
          if (!TpError.isInstance(err) || err.code !== 'FORGE_CONFLICT') throw err;
          known = await this.listLabels();
          label = known.find((l) => l.name.toLowerCase() === name.toLowerCase());
          if (!label) throw err;
        }
      }
      ids.push(label.id);
    }
    return ids;
  }

  private async listLabels(): Promise<GiteaLabel[]> {
    const all: GiteaLabel[] = [];
    for (let page = 1; ; page++) {
      const res = await this.api.request<GiteaLabel[]>('GET', `${this.repoPath}/labels`, {
        query: { page, limit: this.pageSize },
      });
      const list = res.data ?? [];
      all.push(...list);
      if (list.length < this.pageSize) return all;
    }
  }

  private toPullRequest(pr: GiteaPullRequest): PullRequest {
    const state: PullRequest['state'] = pr.merged ? 'merged' : pr.state === 'closed' ? 'closed' : 'open';
    return {
      number: pr.number,
      url: pr.html_url ?? pr.url ?? '',
      title: pr.title ?? '',
      head: pr.head?.ref ?? '',
      base: pr.base?.ref ?? '',
      state,
    };
  }

  private fullName(): string {
    return `${this.options.owner}/${this.options.repo}`;
  }
}

/** A stable colour per label name, so the same label looks the same in every repository. */
export function labelColor(name: string): string {
  return `#${createHash('sha256').update(name.toLowerCase()).digest('hex').slice(0, 6)}`;
}
