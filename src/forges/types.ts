import type { PushAuth } from '../workspace/index.js';

/** Push auth is a git concern (the workspace owns it); a forge only hands one out, so the contract names it here too. */
export type { PushAuth };

export interface PullRequest {
  number: number;
  url: string;
  title: string;
  head: string;
  base: string;
  state: 'open' | 'closed' | 'merged';
}

export interface OpenPullRequestInput {
  title: string;
  body: string;
  head: string;
  base: string;
  labels: string[];
  taskId: string;
  /** The repository the branch was pushed to (the local forge keeps PRs per repository). */
  remote?: string;
}

/**
 * Where a forge event points: which pull request, in which repository, and what happened.
 * `repository` is the repository the payload names (`owner/name`, GitLab's project path),
 * when it names one; the handler ignores events for any other repository than the forge's.
 */
export type ForgeEvent =
  | {
      kind: 'pr.merged';
      prNumber: number;
      title: string;
      branch: string;
      url?: string;
      repository?: string;
    }
  | {
      kind: 'pr.closed';
      prNumber: number;
      title: string;
      branch: string;
      comment?: string;
      repository?: string;
    }
  | {
      kind: 'pr.comment';
      prNumber: number;
      title: string;
      branch: string;
      body: string;
      /** The commenter's login (GitLab: username). */
      author: string;
      /** The commenter's numeric id; GitLab's members API is keyed by it. */
      authorId?: number;
      /** GitHub's `comment.author_association` (OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, NONE, …). */
      authorAssociation?: string;
      repository?: string;
    }
  | { kind: 'ping' };

/** A PR comment event. */
export type PullRequestComment = Extract<ForgeEvent, { kind: 'pr.comment' }>;

/** How the service handled a forge event; the webhook answers `ignored` with 202, `accepted` with 200. */
export interface ForgeEventResult {
  status: 'accepted' | 'ignored';
  /** Short, secret-free text returned to the forge (shown in its delivery log). */
  message?: string;
}

/** Who wrote a PR comment, as far as the webhook payload says. */
export type CommentAuthor = Pick<PullRequestComment, 'author' | 'authorId' | 'authorAssociation'>;

/** A review comment on one line of a pull request's new code. */
export interface ReviewComment {
  /** Path in the repository. */
  path: string;
  /** Line in the new version of the file; undefined for a comment on the whole file. */
  line: number | undefined;
  body: string;
}

/** A review posted on a pull request: a summary and comments on lines. */
export interface PullRequestReview {
  /** Summary (Markdown). */
  body: string;
  comments: ReviewComment[];
  /** The commit the comments refer to (the PR's head); forges that anchor comments need it. */
  commitSha?: string;
}

/** A code host that receives branches and pull requests. */
export interface Forge {
  readonly type: string;
  /** Remote URL to push to (credentials never embedded). */
  remoteUrl(): Promise<string>;
  pushAuth(): PushAuth | undefined;
  /** Makes sure the repository exists (creating it when configured to). */
  ensureRepo(): Promise<void>;
  /** The open PR whose head is `head`, if any: lets a restarted run reuse it instead of opening a second. */
  findPullRequest(head: string, remote?: string): Promise<PullRequest | undefined>;
  openPullRequest(input: OpenPullRequestInput): Promise<PullRequest>;
  /**
   * `repository` (here and on `addReview`/`merge`): where the PR is, when the caller knows it:
   * the clone URL the branch was pushed to, or the `owner/name` a webhook payload names. Only
   * forges with several repositories (per-task Gitea) need it; the others have one and ignore it.
   */
  comment(prNumber: number, body: string, repository?: string): Promise<void>;
  /**
   * Posts a code review: GitHub pull request review comments, Gitea/Forgejo PR reviews, GitLab
   * discussions, the store for the local forge. A comment on a line the forge cannot anchor
   * (outside the diff) is folded into the review's body, never dropped. Texts are capped
   * (`MAX_REVIEW_TEXT` characters each); the caller redacts secrets before calling. Rejects
   * with a `TpError` when the forge cannot be reached or refuses the token.
   */
  addReview(prNumber: number, review: PullRequestReview, repository?: string): Promise<void>;
  merge(prNumber: number, repository?: string): Promise<PullRequest>;
  /**
   * Whether this commenter may start a follow-up run: write access to the repository, as the
   * forge reports it. Resolves false for users without it (or unknown to the forge); rejects
   * with a `TpError` when the forge cannot be asked, so the caller fails closed.
   */
  commenterCanTrigger(author: CommentAuthor): Promise<boolean>;
  /** Whether `name` (a webhook payload's `owner/repo` or project path) is this forge's repository. */
  isOwnRepository(name: string): boolean;
}
