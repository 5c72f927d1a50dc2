import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseBacklogTask, type Task } from '../../../src/tasks/index.js';

const DIR = fileURLToPath(new URL('../../fixtures/tasks/backlog/', import.meta.url));
/** Fixture files as the real CLI wrote them (stored with a .txt suffix, see the README). */
const fixture = (prefix: string) => {
  const name = readdirSync(DIR).find((f) => f.startsWith(prefix) && f.endsWith('.md.txt'));
  if (!name) throw new Error(`no fixture ${prefix}`);
  return { text: readFileSync(`${DIR}${name}`, 'utf8'), fileName: name.replace(/\.txt$/, '') };
};

function ok(text: string, fileName = 'task-9 - X.md'): Task {
  const res = parseBacklogTask(text, { fileName });
  if (!res.ok) throw new Error(`expected ok, got ${JSON.stringify(res.problems)}`);
  return res.task;
}

describe('parseBacklogTask: files written by backlog CLI 1.52', () => {
  const cases: Array<[string, Partial<Task>]> = [
    [
      'task-1 ',
      {
        id: '1',
        rawId: 'TASK-1',
        title: 'Simple task',
        status: 'To Do',
        priority: 'medium',
        description: '',
        body: '',
      },
    ],
    [
      'task-2 ',
      {
        id: '2',
        title: 'Add user auth',
        priority: 'high',
        assignee: '@alice',
        labels: ['backend', 'security'],
        description: 'Implement OAuth 2.0',
        acceptanceCriteria: ['Login with Google', 'Login with GitHub'],
        format: 'backlog',
      },
    ],
    [
      'task-3 ',
      {
        title: 'Dependent: with ünïcode — title',
        dependencies: ['2', '1'],
        priority: 'low',
        description: 'Multi\nline\n\ndescription',
      },
    ],
    [
      'task-4 ',
      {
        status: 'In Progress',
        acceptanceCriteria: ['one'],
        implementationPlan: '1. step one\n2. step two',
        implementationNotes: 'Some notes here',
        body: '',
      },
    ],
    ['task-5 ', { status: 'Done', body: '' }],
    ['task-6 ', { acceptanceCriteria: ['ac1'], labels: ['with space'], assignee: '@bob, @carol' }],
    ['task-7 ', { description: 'has a comment', body: '' }],
  ];
  it.each(cases)('%s', (prefix, expected) => {
    const { text, fileName } = fixture(prefix);
    const task = ok(text, fileName);
    expect(task).toMatchObject(expected);
    expect(task.createdAt).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d$/);
  });

  it('reads a CRLF copy with a BOM the same way', () => {
    const { text, fileName } = fixture('task-4 ');
    const a = ok(text, fileName);
    const b = ok(`\uFEFF${text.replace(/\n/g, '\r\n')}`, fileName);
    expect(b).toEqual(a);
  });
});

const file = (fm: string[], body = '') => `---\n${fm.join('\n')}\n---\n\n${body}`;

describe('parseBacklogTask: rules', () => {
  const cases: Array<{ name: string; text: string; fileName?: string; expect: Partial<Task> }> = [
    {
      name: 'custom prefix id',
      text: file(['id: BACK-12', 'title: T']),
      expect: { id: '12', rawId: 'BACK-12' },
    },
    { name: 'subtask id', text: file(['id: task-3.1', 'title: T']), expect: { id: '3.1' } },
    { name: 'id from file name', text: file(['title: T']), fileName: 'task-44 - T.md', expect: { id: '44' } },
    {
      name: 'priority case-insensitive',
      text: file(['id: t-1', 'title: T', 'priority: High']),
      expect: { priority: 'high' },
    },
    {
      name: 'assignee bare @',
      text: file(['id: t-1', 'title: T', 'assignee: @sam']),
      expect: { assignee: '@sam' },
    },
    {
      name: 'assignee flow @',
      text: file(['id: t-1', 'title: T', 'assignee: [@a, @b]']),
      expect: { assignee: '@a, @b' },
    },
    {
      name: 'legacy sections without markers',
      text: file(
        ['id: t-1', 'title: T'],
        '## Description\n\nOld style\n\n## Acceptance Criteria\n\n- [ ] first\n- [x] second\n',
      ),
      expect: { description: 'Old style', acceptanceCriteria: ['first', 'second'], body: '' },
    },
    {
      name: 'free text outside sections is the body',
      text: file(
        ['id: t-1', 'title: T'],
        'Intro line\n\n## Description\n\n<!-- SECTION:DESCRIPTION:BEGIN -->\nD\n<!-- SECTION:DESCRIPTION:END -->\n\n## Context from PM\n\nKeep me\n',
      ),
      expect: { description: 'D', body: 'Intro line\n\n## Context from PM\n\nKeep me' },
    },
    {
      name: 'a heading inside fenced notes stays in the notes',
      text: file(
        ['id: t-1', 'title: T'],
        '## Implementation Notes\n\n<!-- SECTION:NOTES:BEGIN -->\nline\n## Sub heading\nmore\n<!-- SECTION:NOTES:END -->\n',
      ),
      expect: { implementationNotes: 'line\n## Sub heading\nmore', body: '' },
    },
    {
      name: 'checked and unnumbered AC items',
      text: file(
        ['id: t-1', 'title: T'],
        '## Acceptance Criteria\n<!-- AC:BEGIN -->\n- [x] #1 done one\n- [ ] plain\n<!-- AC:END -->\n',
      ),
      expect: { acceptanceCriteria: ['done one', 'plain'] },
    },
    {
      name: 'extra frontmatter keys the pipeline understands',
      text: file(['id: t-1', 'title: T', 'model: ollama/codellama', 'repo: ../r', 'baseBranch: dev']),
      expect: { model: 'ollama/codellama', repo: '../r', baseBranch: 'dev' },
    },
    {
      name: 'unquoted created_date stays text',
      text: file(['id: t-1', 'title: T', 'created_date: 2026-01-02 10:00']),
      expect: { createdAt: '2026-01-02 10:00' },
    },
  ];
  it.each(cases)('$name', ({ text, fileName, expect: expected }) => {
    expect(ok(text, fileName)).toMatchObject(expected);
  });
});

describe('parseBacklogTask: problems with file lines', () => {
  const cases: Array<{
    name: string;
    text: string;
    fileName?: string;
    problems: Array<[number | undefined, RegExp]>;
  }> = [
    {
      name: 'no frontmatter',
      text: '# T\n',
      problems: [[1, /^no frontmatter: a Backlog\.md task starts with/]],
    },
    { name: 'unterminated', text: '---\nid: t-1\n', problems: [[1, /never closed/]] },
    {
      name: 'bad YAML',
      text: file(['id: t-1', 'title: T', 'title: again', 'labels: []']),
      problems: [[4, /^invalid YAML in frontmatter at line 4: /]],
    },
    {
      name: 'unknown priority',
      text: file(['id: t-1', 'title: T', 'priority: critical']),
      problems: [[4, /^priority "critical" is not allowed: use one of high, medium, low \(line 4\)$/]],
    },
    { name: 'missing title', text: file(['id: t-1']), problems: [[undefined, /^title is required/]] },
    {
      name: 'no id anywhere',
      text: file(['title: T']),
      fileName: 'notes.md',
      problems: [[undefined, /^no task id: add "id: task-<number>" .*\(file "notes\.md"\)$/]],
    },
    {
      name: 'labels not a list',
      text: file(['id: t-1', 'title: T', 'labels:', '  x: 1']),
      problems: [[4, /^labels must be a list/]],
    },
    {
      name: 'depends on itself',
      text: file(['id: TASK-5', 'title: T', 'dependencies: [TASK-5]']),
      problems: [[4, /^task 5 lists itself in dependencies/]],
    },
  ];
  it.each(cases)('$name', ({ text, fileName, problems }) => {
    const res = parseBacklogTask(text, { fileName: fileName ?? 'task-9 - X.md' });
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.problems.map((p) => p.line)).toEqual(problems.map((p) => p[0]));
    problems.forEach(([, re], i) => {
      expect(res.problems[i]?.message).toMatch(re);
    });
  });
});
