import { TpError } from '../../errors/index.js';
import { isContentRejection, postReviewWithFallback } from '../review-text.js';
import type { PullRequestReview } from '../types.js';
import type { GiteaApiClient } from './api-client.js';
import type { GiteaPullReview } from './api-types.js';

/** `CreatePullReviewOptions` of Gitea API v1, as this adapter fills it. */
interface CreatePullReviewBody {
  body: string;
  event: 'COMMENT';
  commit_id?: string;
  comments: { path: string; body: string; new_position: number }[];
}

/**
 * Gitea answers a comment on a line past the end of a file with a 500 (its blame of that line
 * fails) and anything it cannot parse with 400/422. Both leave the review postable as a body.
 */
function worthFolding(err: unknown): boolean {
  return isContentRejection(err) || (TpError.isInstance(err) && err.code === 'SERVER_ERROR');
}

/**
 * Posts a review on Gitea/Forgejo (`POST …/pulls/{index}/reviews`, event COMMENT) with one
 * code comment per line finding. When Gitea refuses the comments, the review is posted
 * again as a body with every comment folded in; text longer than one comment continues in
 * PR comments, so nothing is dropped.
 */
export async function postGiteaReview(
  api: GiteaApiClient,
  repoPath: string,
  prNumber: number,
  review: PullRequestReview,
): Promise<void> {
  const commit = review.commitSha ? { commit_id: review.commitSha } : {};
  await postReviewWithFallback(review, {
    post: async (text, comments) => {
      const body: CreatePullReviewBody = {
        body: text,
        event: 'COMMENT',
        ...commit,
        comments: comments.map((c) => ({ path: c.path, body: c.body, new_position: c.line })),
      };
      await api.request<GiteaPullReview>('POST', `${repoPath}/pulls/${prNumber}/reviews`, { body });
    },
    comment: async (text) => {
      await api.request('POST', `${repoPath}/issues/${prNumber}/comments`, { body: { body: text } });
    },
    canFold: worthFolding,
  });
}
