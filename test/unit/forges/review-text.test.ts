import { describe, expect, it } from 'vitest';
import { TpError } from '../../../src/errors/index.js';
import {
  capText,
  foldComments,
  isContentRejection,
  MAX_REVIEW_TEXT,
  postReviewWithFallback,
  prepareReview,
  splitText,
} from '../../../src/forges/review-text.js';

describe('review text shared by the HTTP forges', () => {
  it('caps text at the limit with a marker, never splitting a surrogate pair', () => {
    expect(capText('short', 100)).toBe('short');
    const capped = capText('a'.repeat(200), 100);
    expect(capped.length).toBeLessThanOrEqual(100);
    expect(capped).toMatch(/^a+\n\n… \(truncated\)$/);
    const emoji = '😀'.repeat(100);
    const cut = capText(emoji, 51);
    expect(cut.length).toBeLessThanOrEqual(51);
    expect(() => encodeURIComponent(cut)).not.toThrow();
    expect(capText('x'.repeat(MAX_REVIEW_TEXT + 1)).length).toBeLessThanOrEqual(MAX_REVIEW_TEXT);
  });

  it('sorts comments: a positive integer line and a path can be anchored, the rest is folded', () => {
    const p = prepareReview({
      body: 'b',
      comments: [
        { path: 'a.ts', line: 3, body: 'ok' },
        { path: 'a.ts', line: 0, body: 'zero' },
        { path: 'a.ts', line: -2, body: 'negative' },
        { path: 'a.ts', line: 1.5, body: 'fraction' },
        { path: 'a.ts', line: Number.NaN, body: 'nan' },
        { path: '  ', line: 4, body: 'no path' },
        { path: 'b.ts', line: undefined, body: 'whole file' },
        { path: 'c.ts', line: 9, body: '   ' },
      ],
    });
    expect(p.anchored.map((c) => c.body)).toEqual(['ok']);
    expect(p.unanchored.map((c) => c.body)).toEqual([
      'zero',
      'negative',
      'fraction',
      'nan',
      'no path',
      'whole file',
    ]);
  });

  it('folds comments under a heading with their location; backticks in a path cannot break out', () => {
    const text = foldComments('Summary', [
      { path: 'src/x.ts', line: 7, body: 'first' },
      { path: 'evil`name', line: undefined, body: 'second' },
    ]);
    expect(text.startsWith('Summary\n\n#### Review comments not placed on a line')).toBe(true);
    expect(text).toContain('**`src/x.ts` line 7**\n\nfirst');
    expect(text).toContain("**`evil'name`**\n\nsecond");
    expect(foldComments('Only', [])).toBe('Only');
  });

  it('splits long text at paragraph breaks into parts within the limit, losing nothing', () => {
    const paragraphs = Array.from({ length: 50 }, (_, i) => `p${i} ${'z'.repeat(90)}`);
    const text = paragraphs.join('\n\n');
    const parts = splitText(text, 1000);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(1000);
    expect(parts.join('\n\n')).toBe(text);
    expect(splitText('', 10)).toEqual(['']);
    const noBreaks = 'q'.repeat(2500);
    expect(splitText(noBreaks, 1000).join('')).toBe(noBreaks);
  });

  it('treats 400 and 422 as content rejections, not auth, network or other statuses', () => {
    const err = (status: number) => new TpError('x', { code: 'FORGE_CONFLICT', details: { status } });
    expect(isContentRejection(err(422))).toBe(true);
    expect(isContentRejection(err(400))).toBe(true);
    expect(isContentRejection(err(401))).toBe(false);
    expect(isContentRejection(err(500))).toBe(false);
    expect(isContentRejection(new Error('422'))).toBe(false);
  });

  it('falls back to one body-only post when the forge refuses the line comments', async () => {
    const posts: { body: string; lines: number }[] = [];
    const comments: string[] = [];
    await postReviewWithFallback(
      { body: 'S', comments: [{ path: 'a', line: 1, body: 'c1' }] },
      {
        post: async (body, lines) => {
          posts.push({ body, lines: lines.length });
          if (lines.length > 0) throw new TpError('no', { code: 'FORGE_CONFLICT', details: { status: 422 } });
        },
        comment: async (t) => {
          comments.push(t);
        },
        canFold: isContentRejection,
      },
    );
    expect(posts).toEqual([
      { body: 'S', lines: 1 },
      { body: expect.stringContaining('c1'), lines: 0 },
    ]);
    expect(comments).toEqual([]);
  });
});
