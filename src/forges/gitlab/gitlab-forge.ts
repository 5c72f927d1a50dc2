import {
  type ExpandedMergeRequestSchema,
  MergeRequestDiscussions,
  MergeRequestNotes,
  type MergeRequestSchema,
  MergeRequests,
  Namespaces,
  ProjectMembers,
  type ProjectSchema,
  Projects,
} from '@gitbeaker/rest';
import type { RetryPolicy } from 'cockatiel';
import { TpError } from '../../errors/index.js';
import { cleanCloneUrl } from '../clone-url.js';
import { type ForgeRetryOptions, forgeRetryPolicy } from '../forge-retry.js';
import type {
  CommentAuthor,
  Forge,
  OpenPullRequestInput,
  PullRequest,
  PullRequestReview,
  PushAuth,
} from '../types.js';
import { gitlabError } from './errors.js';
import { type GitLabReviewApi, isMissingEndpoint, postGitLabReview } from './gitlab-review.js';

export interface GitLabForgeOptions {
  /** Personal, group or project access token (env GITLAB_TOKEN) with `api` + `write_repository`. */
  token: string;
  /** Server root (forge.url), e.g. https://gitlab.example.com. Default https://gitlab.com. */
  baseUrl?: string;
  /** Project path with its namespace, e.g. `group/sub/repo` (forge.owner + '/' + forge.repo). */
  projectPath: string;
  /** Create the project when it is missing (forge.createRepo). */
  createRepo?: boolean;
  /** Visibility of a project created by `ensureRepo`. Default private: task code stays private. */
  visibility?: 'private' | 'internal' | 'public';
  retry?: ForgeRetryOptions;
  /** Per-request time limit in ms (gitbeaker's queryTimeout). Default 30 000. */
  timeoutMs?: number;
}

/** GitLab's Developer access level: the lowest that may push to a (non-protected) branch. */
const DEVELOPER = 30;

/** The server root gitbeaker wants as `host`: no trailing slash, no `/api/v4`. */
export function gitlabHost(baseUrl: string | undefined): string {
  return (baseUrl ?? 'https://gitlab.com').replace(/\/+$/, '').replace(/\/api\/v4$/, '');
}

/**
 * Publishes task branches as merge requests on GitLab (gitlab.com or self-hosted) through
 * gitbeaker. The `PullRequest` it returns carries the MR's iid as `number` and its web_url.
 * Idempotent where a restart needs it: an open MR for the branch is reused and labelled.
 */
export class GitLabForge implements Forge {
  readonly type = 'gitlab';
  private readonly projects: InstanceType<typeof Projects<false>>;
  private readonly mergeRequests: InstanceType<typeof MergeRequests<false>>;
  private readonly notes: InstanceType<typeof MergeRequestNotes<false>>;
  private readonly discussions: InstanceType<typeof MergeRequestDiscussions<false>>;
  private readonly namespaces: InstanceType<typeof Namespaces<false>>;
  private readonly members: InstanceType<typeof ProjectMembers<false>>;
  private readonly policy: RetryPolicy;
  private readonly projectPath: string;
  private project: ProjectSchema | undefined;

  constructor(private readonly options: GitLabForgeOptions) {
    if (!options.token) {
      throw new TpError('The GitLab forge needs a token.', {
        code: 'CONFIG_INVALID',
        hint: 'Set GITLAB_TOKEN (a token with the api and write_repository scopes).',
      });
    }
    this.projectPath = options.projectPath.replace(/^\/+|\/+$/g, '');
    if (!this.projectPath.includes('/')) {
      throw new TpError(`GitLab project path "${options.projectPath}" has no namespace.`, {
        code: 'CONFIG_INVALID',
        hint: 'Set forge.owner to the group or user and forge.repo to the project, e.g. "acme/app".',
      });
    }
    const resource = {
      host: gitlabHost(options.baseUrl),
      token: options.token,
      queryTimeout: options.timeoutMs ?? 30_000,
    };
    this.projects = new Projects(resource);
    this.mergeRequests = new MergeRequests(resource);
    this.notes = new MergeRequestNotes(resource);
    this.discussions = new MergeRequestDiscussions(resource);
    this.namespaces = new Namespaces(resource);
    this.members = new ProjectMembers(resource);
    this.policy = forgeRetryPolicy(options.retry);
  }

  /** HTTP clone URL reported by GitLab, with any userinfo stripped (auth goes in `pushAuth`). */
  async remoteUrl(): Promise<string> {
    const info = this.project ?? (await this.fetchProject());
    return cleanCloneUrl(info?.http_url_to_repo, 'GitLab', this.projectPath);
  }

  /** GitLab's git HTTP takes a token as the Basic-auth password; `oauth2` is the user name it documents. */
  pushAuth(): PushAuth {
    const basic = Buffer.from(`oauth2:${this.options.token}`).toString('base64');
    return { header: `Authorization: Basic ${basic}` };
  }

  /** Fetches the project; creates it in its namespace (group or user) when missing and allowed. */
  async ensureRepo(): Promise<void> {
    if (await this.fetchProject()) return;
    if (!this.options.createRepo) {
      throw new TpError(
        `Project ${this.projectPath} does not exist on GitLab (or the token cannot see it).`,
        {
          code: 'FORGE_NOT_FOUND',
          hint: 'Create the project on GitLab, or set forge.createRepo: true to let ticket-processor create it.',
        },
      );
    }
    const cut = this.projectPath.lastIndexOf('/');
    const namespacePath = this.projectPath.slice(0, cut);
    const name = this.projectPath.slice(cut + 1);
    let namespaceId: number;
    try {
      namespaceId = (await this.call('GET /namespaces/:id', () => this.namespaces.show(namespacePath))).id;
    } catch (err) {
      if (!TpError.isInstance(err) || err.code !== 'FORGE_NOT_FOUND') throw err;
      throw new TpError(`Cannot create ${this.projectPath}: namespace "${namespacePath}" does not exist.`, {
        code: 'FORGE_NOT_FOUND',
        hint: 'Set forge.owner to an existing group (or the token user) that the token can create projects in.',
      });
    }
    try {
      this.project = await this.call('POST /projects', () =>
        this.projects.create({
          name,
          path: name,
          namespaceId,
          visibility: this.options.visibility ?? 'private',
        }),
      );
    } catch (err) {
      // A concurrent creator won ("has already been taken"): the project is there now.
      if (TpError.isInstance(err) && !err.retryable && (await this.fetchProject())) return;
      throw err;
    }
  }

  /** The open merge request whose source branch is `head`, if any. */
  async findPullRequest(head: string): Promise<PullRequest | undefined> {
    const list = await this.call('GET /projects/:id/merge_requests', () =>
      this.mergeRequests.all({
        projectId: this.projectPath,
        sourceBranch: head,
        state: 'opened',
        perPage: 100,
      }),
    );
    const hit = list.find((mr) => mr.source_branch === head);
    return hit ? this.toPullRequest(hit) : undefined;
  }

  /**
   * Opens a merge request with the task's labels. If GitLab answers 409 because an open MR
   * for the branch exists, that one is reused and the labels are added to it.
   */
  async openPullRequest(input: OpenPullRequestInput): Promise<PullRequest> {
    const labels = [...new Set(input.labels.map((l) => l.trim()).filter(Boolean))].join(',');
    try {
      const mr = await this.call('POST /projects/:id/merge_requests', () =>
        this.mergeRequests.create(this.projectPath, input.head, input.base, input.title, {
          description: input.body,
          ...(labels ? { labels } : {}),
        }),
      );
      return this.toPullRequest(mr);
    } catch (err) {
      const existing =
        TpError.isInstance(err) && err.code === 'FORGE_CONFLICT'
          ? await this.findPullRequest(input.head)
          : undefined;
      if (!existing) throw TpError.isInstance(err) ? err.withTask(input.taskId) : err;
      if (labels) {
        await this.call('PUT /projects/:id/merge_requests/:iid', () =>
          this.mergeRequests.edit(this.projectPath, existing.number, { addLabels: labels }),
        );
      }
      return existing;
    }
  }

  /** Adds a note (comment) to the merge request. */
  async comment(prNumber: number, body: string): Promise<void> {
    await this.call('POST /projects/:id/merge_requests/:iid/notes', () =>
      this.notes.create(this.projectPath, prNumber, body),
    );
  }

  /**
   * Posts a review: a discussion on each line the MR's diff shows, then one note with the
   * summary and the comments that could not be placed on a line.
   */
  async addReview(prNumber: number, review: PullRequestReview): Promise<void> {
    await postGitLabReview(this.reviewApi(), prNumber, review);
  }

  /**
   * Accepts (merges) the merge request and returns it as it is afterwards. An MR that is
   * already merged (e.g. a retry after a lost response) counts as success.
   */
  async merge(prNumber: number): Promise<PullRequest> {
    try {
      const mr = await this.call('PUT /projects/:id/merge_requests/:iid/merge', () =>
        this.mergeRequests.accept(this.projectPath, prNumber),
      );
      return this.toPullRequest(mr);
    } catch (err) {
      if (!TpError.isInstance(err) || err.code !== 'FORGE_CONFLICT') throw err;
      const now = this.toPullRequest(
        await this.call('GET /projects/:id/merge_requests/:iid', () =>
          this.mergeRequests.show(this.projectPath, prNumber),
        ),
      );
      if (now.state === 'merged') return now;
      throw new TpError(`${err.message} (merge request !${prNumber} cannot be merged)`, {
        code: 'FORGE_CONFLICT',
        details: err.details,
        hint: 'Resolve the conflict, draft status or failing pipeline on the branch, or merge it by hand.',
      });
    }
  }

  /**
   * The commenter's access level on the project, inherited group membership included
   * (`GET /projects/:id/members/all/:user_id`): Developer (30) or higher may start runs. A
   * user who is no member (404), or a payload without the user's id, may not.
   */
  async commenterCanTrigger(author: CommentAuthor): Promise<boolean> {
    const userId = author.authorId;
    if (userId === undefined || !Number.isInteger(userId) || userId <= 0) return false;
    try {
      const member = await this.call('GET /projects/:id/members/all/:user_id', () =>
        this.members.show(this.projectPath, userId, { includeInherited: true }),
      );
      return Number(member.access_level) >= DEVELOPER;
    } catch (err) {
      if (TpError.isInstance(err) && err.code === 'FORGE_NOT_FOUND') return false;
      throw err;
    }
  }

  /** True for this forge's project path (`group/sub/project`), compared without case. */
  isOwnRepository(name: string): boolean {
    return name.toLowerCase() === this.projectPath.toLowerCase();
  }

  private reviewApi(): GitLabReviewApi {
    const project = this.projectPath;
    return {
      diffRefs: async (iid) =>
        (
          await this.call('GET /projects/:id/merge_requests/:iid', () =>
            this.mergeRequests.show(project, iid),
          )
        ).diff_refs,
      diffs: async (iid) => {
        try {
          return await this.call('GET /projects/:id/merge_requests/:iid/diffs', () =>
            this.mergeRequests.allDiffs(project, iid, { perPage: 100 }),
          );
        } catch (err) {
          if (isMissingEndpoint(err)) return undefined;
          throw err;
        }
      },
      discussion: async (iid, body, at) => {
        await this.call('POST /projects/:id/merge_requests/:iid/discussions', () =>
          this.discussions.create(project, iid, body, {
            position: {
              positionType: 'text',
              baseSha: at.refs.base_sha,
              startSha: at.refs.start_sha,
              headSha: at.refs.head_sha,
              oldPath: at.path,
              newPath: at.path,
              newLine: String(at.newLine),
              ...(at.oldLine !== undefined ? { oldLine: String(at.oldLine) } : {}),
            },
          }),
        );
      },
      note: async (iid, body) => this.comment(iid, body),
    };
  }

  private async fetchProject(): Promise<ProjectSchema | undefined> {
    try {
      this.project = await this.call('GET /projects/:id', () => this.projects.show(this.projectPath));
      return this.project;
    } catch (err) {
      if (TpError.isInstance(err) && err.code === 'FORGE_NOT_FOUND') return undefined;
      throw err;
    }
  }

  /**
   * Runs one gitbeaker call under the retry policy; every failure leaves as a redacted
   * `TpError`. gitbeaker itself re-sends 429/502 a few times before giving up; that inner
   * loop is not configurable, so this policy covers the rest (5xx, network, timeouts).
   */
  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return this.policy.execute(async () => {
      try {
        return await fn();
      } catch (err) {
        throw gitlabError(err, this.options.token, what);
      }
    });
  }

  private toPullRequest(mr: MergeRequestSchema | ExpandedMergeRequestSchema): PullRequest {
    return {
      number: mr.iid,
      url: mr.web_url,
      title: mr.title,
      head: mr.source_branch,
      base: mr.target_branch,
      state:
        mr.state === 'merged' ? 'merged' : mr.state === 'opened' || mr.state === 'locked' ? 'open' : 'closed',
    };
  }
}
