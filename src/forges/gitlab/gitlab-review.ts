import type { DiffRefsSchema, MergeRequestDiffSchema } from '@gitbeaker/rest';
import { TpError } from '../../errors/index.js';
import { foldComments, isContentRejection, prepareReview, splitText } from '../review-text.js';
import type { PullRequestReview, ReviewComment } from '../types.js';

/** A new-side line of the MR diff: added (`+`), or unchanged with its old-side number. */
interface DiffLine {
  added: boolean;
  oldLine?: number;
}

/** New-side lines per path, read from the `diff` texts of `GET …/merge_requests/:iid/diffs`. */
export function diffLines(files: MergeRequestDiffSchema[]): Map<string, Map<number, DiffLine>> {
  const out = new Map<string, Map<number, DiffLine>>();
  for (const f of files) {
    if (f.deleted_file) continue;
    const lines = new Map<number, DiffLine>();
    let oldNo = 0;
    let newNo = 0;
    let inHunk = false;
    for (const text of String(f.diff ?? '').split('\n')) {
      const m = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(text);
      if (m) {
        oldNo = Number(m[1]);
        newNo = Number(m[2]);
        inHunk = true;
      } else if (inHunk && text.startsWith('+')) lines.set(newNo++, { added: true });
      else if (inHunk && text.startsWith('-')) oldNo++;
      else if (inHunk && text.startsWith(' ')) lines.set(newNo++, { added: false, oldLine: oldNo++ });
    }
    out.set(f.new_path, lines);
  }
  return out;
}

/** What the review needs from the GitLab adapter (its gitbeaker calls, under its retry policy). */
export interface GitLabReviewApi {
  /** The MR's `diff_refs`, or null while GitLab has not computed them. */
  diffRefs(iid: number): Promise<DiffRefsSchema | null | undefined>;
  /** The MR's changed files; undefined when this GitLab has no diffs endpoint (before 15.7). */
  diffs(iid: number): Promise<MergeRequestDiffSchema[] | undefined>;
  /** Starts a discussion; `position` anchors it on a line of the diff. */
  discussion(
    iid: number,
    body: string,
    position: { refs: DiffRefsSchema; path: string; newLine: number; oldLine?: number },
  ): Promise<void>;
  note(iid: number, body: string): Promise<void>;
}

/**
 * Posts a review on a GitLab merge request: one discussion per comment whose line the MR's
 * diff shows (an added line by its new number, an unchanged one by both numbers, as GitLab
 * requires), then one note with the summary and every comment that could not be placed:
 * no line, not in the diff, or refused by GitLab (400). A review written for an older
 * commit than the MR's head is folded whole: its line numbers may have moved.
 */
export async function postGitLabReview(
  api: GitLabReviewApi,
  iid: number,
  review: PullRequestReview,
): Promise<void> {
  const prepared = prepareReview(review);
  const folded: ReviewComment[] = [];
  const refs = prepared.anchored.length > 0 ? await api.diffRefs(iid) : undefined;
  const current = refs && (!review.commitSha || refs.head_sha === review.commitSha);
  if (!refs || !current) folded.push(...prepared.anchored);
  else {
    const files = await api.diffs(iid);
    const lines = files ? diffLines(files) : undefined;
    for (const c of prepared.anchored) {
      const at = lines ? lines.get(c.path)?.get(c.line) : { added: true };
      if (!at) {
        folded.push(c);
        continue;
      }
      try {
        await api.discussion(iid, c.body, {
          refs,
          path: c.path,
          newLine: c.line,
          ...(at.added ? {} : { oldLine: at.oldLine }),
        });
      } catch (err) {
        if (!isContentRejection(err)) throw err;
        folded.push(c);
      }
    }
  }
  const summary = foldComments(prepared.body, [...folded, ...prepared.unanchored]);
  if (!summary.trim()) return;
  for (const part of splitText(summary)) await api.note(iid, part);
}

/** True when GitLab has no such endpoint (older servers lack `…/diffs`). */
export function isMissingEndpoint(err: unknown): boolean {
  return TpError.isInstance(err) && err.code === 'FORGE_NOT_FOUND';
}
