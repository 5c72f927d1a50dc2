import { describe, expect, it } from 'vitest';
import {
  chunkDiff,
  dependencyDirs,
  type Finding,
  findingsTable,
  lineComments,
  parseAudit,
  parseReply,
  type ReviewOutcome,
  reviewReport,
  splitDiff,
} from '../../../src/review/index.js';

const f = (over: Partial<Finding> = {}): Finding => ({
  severity: 'major',
  category: 'bugs',
  file: 'a.ts',
  line: 3,
  message: 'Off by one',
  suggestion: 'Use <=',
  source: 'model',
  ...over,
});

const outcome = (over: Partial<ReviewOutcome> = {}): ReviewOutcome => ({
  status: 'ok',
  findings: [],
  counted: [],
  summary: '',
  model: 'm:1b',
  rounds: 1,
  durationMs: 1500,
  promptTokens: 100,
  completionTokens: 20,
  notes: [],
  onCritical: 'comment',
  ...over,
});

const unavailable = (why: string) => ({ findings: [], notes: [`unavailable: ${why}`] });

describe('review report', () => {
  it('puts an unavailable review first and never says "No findings" for it', () => {
    const text = reviewReport(outcome({ status: 'unavailable', reason: 'timed out' })).join('\n');
    expect(text).toContain('⚠️ Review unavailable: timed out');
    expect(text).not.toContain('No findings');
    expect(reviewReport(outcome()).join('\n')).toContain('No findings.');
  });

  it('keeps table cells on one line and escapes pipes', () => {
    const [, , row] = findingsTable([f({ message: 'a | b\nc', suggestion: 'x'.repeat(400) })]);
    expect(row).toContain('a \\| b c');
    expect(row?.split('\n')).toHaveLength(1);
    expect(row).toContain(`${'x'.repeat(299)}…`);
  });

  it('orders by severity and makes line comments only for findings on a line', () => {
    const comments = lineComments([
      f({ severity: 'minor', line: 9 }),
      f({ severity: 'critical', line: 2 }),
      f({ line: undefined }),
    ]);
    expect(comments.map((c) => [c.path, c.line])).toEqual([
      ['a.ts', 2],
      ['a.ts', 9],
    ]);
  });
});

describe('reply parsing', () => {
  it('accepts a fenced JSON reply and a finding without a line', () => {
    const r = parseReply(
      '```json\n{"findings":[{"severity":"info","category":"style","file":"a","message":"m","suggestion":""}],"summary":"s"}\n```',
    );
    expect(r.ok).toBe(true);
  });

  it('names the path of what is wrong', () => {
    const r = parseReply(
      '{"findings":[{"severity":"blocker","category":"bugs","file":"a","message":"m","suggestion":""}],"summary":"s"}',
    );
    expect(r.ok ? '' : r.problem).toContain('findings.0.severity');
  });
});

describe('diff split', () => {
  const diff = [
    'diff --git a/x.ts b/x.ts',
    'index 1..2 100644',
    '--- a/x.ts',
    '+++ b/x.ts',
    '@@ -10,2 +10,3 @@',
    ' a',
    '+b',
    ' c',
    'diff --git a/y.ts b/y.ts',
    'deleted file mode 100644',
    '--- a/y.ts',
    '+++ /dev/null',
    '@@ -1 +0,0 @@',
    '-gone',
    '',
  ].join('\n');

  it('reads each file with its new-side hunk ranges', () => {
    const sections = splitDiff(diff);
    expect(sections.map((s) => [s.path, s.ranges, s.deleted])).toEqual([
      ['x.ts', [[10, 12]], false],
      ['y.ts', [], true],
    ]);
  });

  it('groups files into chunks under the budget', () => {
    const sections = splitDiff(diff);
    expect(chunkDiff(sections, 10_000).map((c) => c.files)).toEqual([['x.ts', 'y.ts']]);
    expect(chunkDiff(sections, 100).map((c) => c.files)).toEqual([['x.ts'], ['y.ts']]);
  });
});

describe('npm audit report', () => {
  it('is unavailable for output that is not JSON or an npm error', () => {
    expect(parseAudit('npm ERR! boom', 'package.json', unavailable, 1).notes[0]).toContain(
      'npm printed no JSON report (exit 1)',
    );
    const err = JSON.stringify({
      error: { code: 'ENOLOCK', summary: 'This command requires an existing lockfile.' },
    });
    expect(parseAudit(err, 'package.json', unavailable, 1).notes[0]).toContain(
      'ENOLOCK: This command requires an existing lockfile.',
    );
  });

  it('keeps advisories of high and critical packages, not their dependents or lower severities', () => {
    const report = {
      auditReportVersion: 2,
      vulnerabilities: {
        a: {
          name: 'a',
          severity: 'high',
          range: '<2',
          via: [{ title: 'Bad', url: 'u', severity: 'high' }],
          fixAvailable: { name: 'a', version: '2.0.0', isSemVerMajor: true },
        },
        b: { name: 'b', severity: 'high', via: ['a'], fixAvailable: true },
        c: { name: 'c', severity: 'moderate', via: [{ title: 'Meh' }] },
      },
    };
    const out = parseAudit(JSON.stringify(report), 'web/package.json', unavailable, 1);
    expect(out.findings).toEqual([
      expect.objectContaining({
        severity: 'major',
        category: 'security',
        file: 'web/package.json',
        message: 'a <2: Bad (u)',
        suggestion: 'Upgrade a to 2.0.0 (a semver-major change).',
        source: 'audit',
      }),
    ]);
  });

  it('audits the folders of changed manifests and lockfiles only', () => {
    expect(dependencyDirs(['package.json', 'web/yarn.lock', 'web/package.json', 'src/package.ts'])).toEqual([
      '.',
      'web',
    ]);
  });
});
