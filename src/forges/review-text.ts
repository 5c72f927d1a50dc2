import { TpError } from '../errors/index.js';
import type { PullRequestReview, ReviewComment } from './types.js';

/*
 * Shared by the HTTP forges (GitHub, Gitea/Forgejo, GitLab): review text is model output,
 * so it is capped before it leaves, and a comment a forge cannot anchor on a line is folded
 * into the review's body instead of being lost. Kept next to the GitHub adapter because the
 * GitLab adapter already shares its retry policy from here.
 */

/**
 * Longest text sent as one comment or one review body, in characters. GitHub refuses bodies
 * over 65 536 characters; the others accept more, but a reviewer reads none of that.
 */
export const MAX_REVIEW_TEXT = 60_000;

const TRUNCATED = '\n\n… (truncated)';

/** `text` cut to `max` characters (marker included), on a code point boundary. */
export function capText(text: string, max = MAX_REVIEW_TEXT): string {
  if (text.length <= max) return text;
  let cut = max - TRUNCATED.length;
  // Do not split a surrogate pair: half of an emoji is not valid UTF-16 for the forge.
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--;
  return `${text.slice(0, cut)}${TRUNCATED}`;
}

/** A review split into comments a forge can try to anchor on a line, and the rest. */
export interface PreparedReview {
  body: string;
  /** Comments with a path and a positive integer line, bodies capped. */
  anchored: (ReviewComment & { line: number })[];
  /** Comments without a usable line or path; they go into the body. */
  unanchored: ReviewComment[];
}

/** Caps every text and sorts the comments by whether a forge could put them on a line. */
export function prepareReview(review: PullRequestReview): PreparedReview {
  const anchored: PreparedReview['anchored'] = [];
  const unanchored: ReviewComment[] = [];
  for (const c of review.comments) {
    const comment = { path: c.path.trim(), line: c.line, body: capText(c.body) };
    if (!comment.body.trim()) continue;
    const line = comment.line;
    if (comment.path && line !== undefined && Number.isSafeInteger(line) && line > 0) {
      anchored.push({ ...comment, line });
    } else unanchored.push(comment);
  }
  return { body: capText(review.body), anchored, unanchored };
}

/** Where a folded comment points, as Markdown (backticks in the model's path are neutralised). */
function location(c: ReviewComment): string {
  const path = c.path.replace(/`/g, "'") || '(no file)';
  return c.line !== undefined && Number.isFinite(c.line) ? `\`${path}\` line ${c.line}` : `\`${path}\``;
}

/**
 * The review body with `comments` appended under a heading, one block per comment, so a
 * comment that could not go on its line still reaches the reader.
 */
export function foldComments(body: string, comments: ReviewComment[]): string {
  if (comments.length === 0) return body;
  const blocks = comments.map((c) => `**${location(c)}**\n\n${c.body}`);
  const head = body.trim() ? `${body}\n\n` : '';
  return `${head}#### Review comments not placed on a line\n\n${blocks.join('\n\n---\n\n')}`;
}

/**
 * Splits a long text into parts of at most `max` characters, preferring paragraph breaks,
 * so that a folded review longer than one comment is posted as several and nothing is cut.
 */
export function splitText(text: string, max = MAX_REVIEW_TEXT): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    let cut = rest.lastIndexOf('\n\n', max);
    if (cut < max / 2) cut = rest.lastIndexOf('\n', max);
    if (cut < max / 2) cut = max;
    const code = rest.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut--;
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^\n+/, '');
  }
  if (rest.trim() || parts.length === 0) parts.push(rest);
  return parts;
}

/**
 * True when the forge refused the request's content (400 or 422, e.g. a line outside the
 * diff), as opposed to being unreachable or refusing the token: folding the comments into
 * the body and posting again can then succeed.
 */
export function isContentRejection(err: unknown): boolean {
  if (!TpError.isInstance(err)) return false;
  const { status } = err.details;
  return status === 400 || status === 422;
}

/** How one forge posts a review; `postReviewWithFallback` decides what to send. */
export interface ReviewPoster {
  /** Posts one review: a body and comments on lines (possibly none). */
  post(body: string, comments: PreparedReview['anchored']): Promise<void>;
  /** Posts a plain PR comment (for text beyond one review body). */
  comment(text: string): Promise<void>;
  /** Whether a failed `post` with line comments is worth repeating as a body-only review. */
  canFold(err: unknown): boolean;
}

/**
 * Posts `review` with its comments on their lines; if the forge refuses them (it does not
 * say which), posts it again with every comment folded into the body. Text longer than one
 * body continues in PR comments. An empty review posts nothing.
 */
export async function postReviewWithFallback(review: PullRequestReview, poster: ReviewPoster): Promise<void> {
  const prepared = prepareReview(review);
  // Only the review post itself is retried folded; a failure of a continuation comment is the caller's.
  const post = async (text: string, comments: PreparedReview['anchored']): Promise<boolean> => {
    const [first = '', ...rest] = splitText(text);
    try {
      await poster.post(first, comments);
    } catch (err) {
      if (comments.length === 0 || !poster.canFold(err)) throw err;
      return false;
    }
    for (const part of rest) await poster.comment(part);
    return true;
  };
  if (prepared.anchored.length > 0) {
    if (await post(foldComments(prepared.body, prepared.unanchored), prepared.anchored)) return;
  }
  const all = foldComments(prepared.body, [...prepared.anchored, ...prepared.unanchored]);
  if (!all.trim()) return;
  await post(all, []);
}
