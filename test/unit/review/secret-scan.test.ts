import { describe, expect, it } from 'vitest';
import { scanDiff } from '../../../src/review/index.js';

const diff = (added: string[], file = 'src/app.js') =>
  [
    `diff --git a/${file} b/${file}`,
    `--- a/${file}`,
    `+++ b/${file}`,
    '@@ -10,2 +10,4 @@',
    ' context line',
    ...added.map((l) => `+${l}`),
    ' tail',
  ].join('\n');

describe('scanDiff', () => {
  it.each([
    ['const id = "AKIAIOSFODNN7EXAMPLE";', 'AWS access key id'],
    [`token: ghp_${'a'.repeat(36)}`, 'GitHub token'],
    ['GITLAB=glpat-abcdefghijklmnopqrstu', 'GitLab token'],
    ['-----BEGIN OPENSSH PRIVATE KEY-----', 'private key'],
    ['const apiKey = "9f8e7d6c5b4a39281706abcd";', 'hard-coded credential'],
    ['password: "correct horse battery staple"', undefined],
    ['"password": "s3cr3t-passw0rd-value-xyz"', 'hard-coded credential'],
  ])('%s → %s', (line, rule) => {
    const found = scanDiff(diff([line]));
    expect(found[0]?.rule).toBe(rule);
    if (rule) expect(found[0]).toMatchObject({ file: 'src/app.js', line: 11 });
  });

  it('ignores removed and context lines, values read from the environment, and allowed patterns', () => {
    const d = [
      '+++ b/x.js',
      '@@ -1,3 +1,3 @@',
      `-const token = "ghp_${'b'.repeat(36)}";`,
      ' const secret = process.env.SECRET;',
      '+const token = process.env.GITHUB_TOKEN;',
      '+const sample = "AKIAIOSFODNN7EXAMPLE"; // docs example',
    ].join('\n');
    expect(scanDiff(d, { allow: ['docs example'] })).toEqual([]);
  });

  it('finds the exact secrets this service holds, whatever their shape', () => {
    const found = scanDiff(diff(['url = "https://x/?k=plainvalue123"']), { known: ['plainvalue123'] });
    expect(found).toEqual([{ file: 'src/app.js', line: 11, rule: 'a secret configured in this service' }]);
  });
});
