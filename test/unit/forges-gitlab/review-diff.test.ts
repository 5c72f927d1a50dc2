import { describe, expect, it } from 'vitest';
import { diffLines } from '../../../src/forges/gitlab/gitlab-review.js';

const file = (new_path: string, diff: string, deleted_file = false) => ({
  old_path: new_path,
  new_path,
  a_mode: '100644',
  b_mode: '100644',
  new_file: false,
  renamed_file: false,
  deleted_file,
  diff,
});

describe('GitLab MR diff lines', () => {
  it('maps new-side lines: added ones alone, unchanged ones with their old number', () => {
    const diff = [
      '@@ -8,6 +8,7 @@ fn',
      ' line 8',
      ' line 9',
      '-old 10',
      '+new 10',
      '+new 11',
      ' line 11',
      ' line 12',
      '',
    ].join('\n');
    const lines = diffLines([file('src/a.ts', diff)]).get('src/a.ts');
    expect([...(lines ?? [])]).toEqual([
      [8, { added: false, oldLine: 8 }],
      [9, { added: false, oldLine: 9 }],
      [10, { added: true }],
      [11, { added: true }],
      [12, { added: false, oldLine: 11 }],
      [13, { added: false, oldLine: 12 }],
    ]);
  });

  it('reads several hunks, skips deleted files and text before the first hunk', () => {
    const diff = ['Binary junk', '@@ -1,1 +1,1 @@', '-a', '+b', '@@ -50,0 +51,1 @@', '+z'].join('\n');
    const map = diffLines([file('x', diff), file('gone', '@@ -1 +0,0 @@\n-x', true)]);
    expect([...(map.get('x')?.keys() ?? [])]).toEqual([1, 51]);
    expect(map.has('gone')).toBe(false);
  });
});
