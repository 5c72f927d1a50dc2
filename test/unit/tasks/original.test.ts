import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  parseOriginalTask,
  serializeOriginalTask,
  type Task,
  taskFileName,
} from '../../../src/tasks/index.js';

const RX = 'task-(\\d+)';
const parse = (text: string, fileName = 'task-7 - Example.md') =>
  parseOriginalTask(text, { fileName, extractRegex: RX });
const fm = (...lines: string[]) => `---\n${lines.join('\n')}\n---\n\nBody text\n`;

function ok(text: string, fileName?: string): Task {
  const res = parse(text, fileName);
  if (!res.ok) throw new Error(`expected ok, got ${JSON.stringify(res.problems)}`);
  return res.task;
}

describe('parseOriginalTask: the reference template', () => {
  it('reads every field of the original task template', () => {
    const path = fileURLToPath(
      new URL(
        '../../fixtures/tasks/original/task-3 - Add OAuth Authentication System.md.txt',
        import.meta.url,
      ),
    );
    const task = ok(readFileSync(path, 'utf8'), 'task-3 - Add OAuth Authentication System.md');
    expect(task).toMatchObject({
      id: '3',
      title: 'Add OAuth Authentication System',
      status: 'To Do',
      priority: 'high',
      assignee: undefined,
      labels: ['backend', 'security', 'authentication'],
      model: 'ollama/deepseek-coder',
      dependencies: [],
      estimatedHours: 8,
      createdAt: '2026-01-02T00:00:00Z',
      format: 'folders',
    });
    expect(task.description).toMatch(/^Implement a comprehensive OAuth 2\.0 .* authenticate users\.$/);
    expect(task.acceptanceCriteria).toHaveLength(6);
    expect(task.acceptanceCriteria[5]).toBe('Error handling for failed authentication attempts');
    expect(task.body.startsWith('# Add OAuth Authentication System\n\n## Background')).toBe(true);
    expect(task.body.endsWith('- Security best practices guide')).toBe(true);
  });
});

describe('parseOriginalTask: field rules', () => {
  const cases: Array<{ name: string; lines: string[]; expect: Partial<Task> }> = [
    { name: 'priority absent → medium', lines: ['title: T'], expect: { priority: 'medium' } },
    {
      name: 'priority case-insensitive',
      lines: ['title: T', 'priority: HIGH'],
      expect: { priority: 'high' },
    },
    { name: 'priority Low', lines: ['title: T', 'priority: Low'], expect: { priority: 'low' } },
    { name: 'priority empty → medium', lines: ['title: T', 'priority:'], expect: { priority: 'medium' } },
    { name: 'labels single string', lines: ['title: T', 'labels: backend'], expect: { labels: ['backend'] } },
    { name: 'labels flow list', lines: ['title: T', 'labels: [a, b]'], expect: { labels: ['a', 'b'] } },
    { name: 'labels empty value', lines: ['title: T', 'labels:'], expect: { labels: [] } },
    {
      name: 'acceptanceCriteria single string',
      lines: ['title: T', 'acceptanceCriteria: It works'],
      expect: { acceptanceCriteria: ['It works'] },
    },
    {
      name: 'dependencies normalised to bare ids',
      lines: ['title: T', 'dependencies:', '  - task-1', '  - TASK-2', '  - 3', '  - task-1'],
      expect: { dependencies: ['1', '2', '3'] },
    },
    {
      name: 'dependency single string',
      lines: ['title: T', 'dependencies: task-9'],
      expect: { dependencies: ['9'] },
    },
    {
      name: 'model with provider',
      lines: ['title: T', 'model: ollama/codellama'],
      expect: { model: 'ollama/codellama' },
    },
    {
      name: 'suggestedModels list',
      lines: ['title: T', 'suggestedModels:', '  - ollama/a', '  - b'],
      expect: { suggestedModels: ['ollama/a', 'b'] },
    },
    {
      name: 'repo and baseBranch overrides',
      lines: ['title: T', 'repo: ../other', 'baseBranch: develop'],
      expect: { repo: '../other', baseBranch: 'develop' },
    },
    {
      name: 'estimatedHours number',
      lines: ['title: T', 'estimatedHours: 2.5'],
      expect: { estimatedHours: 2.5 },
    },
    {
      name: 'estimatedHours numeric text',
      lines: ['title: T', 'estimatedHours: "4"'],
      expect: { estimatedHours: 4 },
    },
    {
      name: 'createdAt stays the ISO text as written',
      lines: ['title: T', 'createdAt: 2026-01-02T10:00:00Z'],
      expect: { createdAt: '2026-01-02T10:00:00Z' },
    },
    { name: 'assignee bare @name', lines: ['title: T', 'assignee: @alice'], expect: { assignee: '@alice' } },
    { name: 'assignee empty', lines: ['title: T', 'assignee: '], expect: { assignee: undefined } },
    {
      name: '@ lines inside a block description are left as text',
      lines: ['title: T', 'description: |', '  - @bob reviews', '  assignee: @x', 'assignee: @alice'],
      expect: { description: '- @bob reviews\nassignee: @x', assignee: '@alice' },
    },
    {
      name: 'assignee list items with bare @',
      lines: ['title: T', 'assignee:', '  - @a', '  - "@b"'],
      expect: { assignee: '@a, @b' },
    },
    { name: 'assignee list', lines: ['title: T', 'assignee: [@a, @b]'], expect: { assignee: '@a, @b' } },
    { name: 'numeric title', lines: ['title: 2048'], expect: { title: '2048' } },
    {
      name: 'quoted unicode title',
      lines: ['title: "Ünïcode — 日本語"'],
      expect: { title: 'Ünïcode — 日本語' },
    },
    { name: 'status kept', lines: ['title: T', 'status: In Progress'], expect: { status: 'In Progress' } },
    {
      name: 'description block keeps inner lines',
      lines: ['title: T', 'description: |', '  one', '', '  two'],
      expect: { description: 'one\n\ntwo' },
    },
    { name: 'unknown keys ignored', lines: ['title: T', 'foo: bar'], expect: { title: 'T' } },
  ];
  it.each(cases)('$name', ({ lines, expect: expected }) => {
    expect(ok(fm(...lines))).toMatchObject(expected);
  });

  it('takes the id from the file name, also in a path and in another case', () => {
    expect(ok(fm('title: T'), '/x/backlog/todo/task-42 - Something.md').id).toBe('42');
    expect(ok(fm('title: T'), 'Task-5 - Upper.md').id).toBe('5');
  });

  it('keeps the body, without surrounding blank lines', () => {
    expect(ok('---\ntitle: T\n---\n\n\n# Head\n\ntext\n\n').body).toBe('# Head\n\ntext');
    expect(ok('---\ntitle: T\n---').body).toBe('');
  });

  it('accepts CRLF line endings and a BOM, with the same result as LF', () => {
    const lf = fm('title: T', 'priority: low', 'labels:', '  - a', 'description: |', '  d1', '  d2');
    const crlf = `\uFEFF${lf.replace(/\n/g, '\r\n')}`;
    const a = ok(lf);
    const b = ok(crlf);
    expect(b.title).toBe('T');
    expect(b.labels).toEqual(['a']);
    expect(b.description).toBe('d1\nd2');
    expect(b.body).toBe(a.body.replace(/\n/g, '\r\n'));
  });

  it('turns a YAML-1.1 Date back into ISO text', async () => {
    // A YAML 1.1 parser (or a hand-built Date) yields a Date; the Task must still carry text.
    const { FieldReader } = await import('../../../src/tasks/fields.js');
    const f = new FieldReader({ data: { createdAt: new Date('2026-01-02T10:00:00Z') }, keyLines: new Map() });
    expect(f.timestamp('createdAt')).toBe('2026-01-02T10:00:00.000Z');
  });
});

describe('parseOriginalTask: problems carry file line numbers', () => {
  const cases: Array<{
    name: string;
    text: string;
    fileName?: string;
    problems: Array<{ line?: number; re: RegExp }>;
  }> = [
    {
      name: 'no frontmatter',
      text: '# Just markdown\n',
      problems: [{ line: 1, re: /^no frontmatter: the file must start with a "---" line/ }],
    },
    {
      name: 'unterminated frontmatter',
      text: '---\ntitle: T\n\nbody',
      problems: [{ line: 1, re: /never closed: add a "---" line/ }],
    },
    {
      name: 'missing title',
      text: fm('priority: high'),
      problems: [{ re: /^title is required: add a line like "title: / }],
    },
    {
      name: 'empty title',
      text: fm('priority: high', 'title: ""'),
      problems: [{ line: 3, re: /^title is empty \(line 3\)/ }],
    },
    {
      name: 'unknown priority names the allowed values and the line',
      text: fm('title: T', 'status: To Do', 'priority: urgent'),
      problems: [
        { line: 4, re: /^priority "urgent" is not allowed: use one of high, medium, low \(line 4\)$/ },
      ],
    },
    {
      name: 'labels as a mapping',
      text: fm('title: T', 'labels:', '  a: 1'),
      problems: [{ line: 3, re: /^labels must be a list .*not a mapping \(line 3\)$/ }],
    },
    {
      name: 'acceptance criterion that is a mapping',
      text: fm('title: T', 'acceptanceCriteria:', '  - ok', '  - {x: 1}'),
      problems: [{ line: 3, re: /^acceptanceCriteria item 2 must be text, not a mapping \(line 3\)$/ }],
    },
    {
      name: 'dependencies as a number mapping',
      text: fm('title: T', 'dependencies: {a: 1}'),
      problems: [{ line: 3, re: /^dependencies must be a list/ }],
    },
    {
      name: 'estimatedHours not a number',
      text: fm('title: T', 'estimatedHours: lots'),
      problems: [{ line: 3, re: /^estimatedHours must be a number of 0 or more, not "lots" \(line 3\)$/ }],
    },
    {
      name: 'negative estimatedHours',
      text: fm('title: T', 'estimatedHours: -1'),
      problems: [{ line: 3, re: /^estimatedHours must be a number/ }],
    },
    {
      name: 'model as a list',
      text: fm('title: T', 'model:', '  - a'),
      problems: [{ line: 3, re: /^model must be text, not a list \(line 3\)$/ }],
    },
    {
      name: 'bad YAML reports the file line (frontmatter starts at line 2)',
      text: fm('title: T', 'priority: high', 'labels: [a, b'),
      problems: [{ line: 4, re: /^invalid YAML in frontmatter at line 4: / }],
    },
    {
      name: 'bad indentation',
      text: fm('title: T', 'description: x', '  bad: indent'),
      problems: [{ line: 3, re: /^invalid YAML in frontmatter at line 3: Nested mappings/ }],
    },
    {
      name: 'two independent YAML errors, cascades dropped',
      text: fm('a: b', ' c: d', 'e: [x', 'title: T'),
      problems: [
        { line: 2, re: /^invalid YAML in frontmatter at line 2: / },
        { line: 5, re: /^invalid YAML in frontmatter at line 5: / },
      ],
    },
    {
      name: 'duplicate key',
      text: fm('title: T', 'title: U'),
      problems: [{ line: 3, re: /^invalid YAML in frontmatter at line 3: .*[Uu]nique/ }],
    },
    {
      name: 'frontmatter that is a list',
      text: fm('- a', '- b'),
      problems: [{ line: 2, re: /^frontmatter must be a mapping/ }],
    },
    {
      name: 'file name without id explains the naming',
      text: fm('title: T'),
      fileName: 'my task.md',
      problems: [
        { re: /^file name "my task\.md" carries no task id: name it like "task-<number> - <title>\.md"/ },
      ],
    },
    {
      name: 'self dependency',
      text: fm('title: T', 'dependencies: [task-7]'),
      problems: [{ line: 3, re: /^task 7 lists itself in dependencies/ }],
    },
    {
      name: 'CRLF bad YAML still reports file lines',
      text: fm('title: T', 'priority: [').replace(/\n/g, '\r\n'),
      problems: [{ line: 3, re: /^invalid YAML in frontmatter at line 3/ }],
    },
  ];
  it.each(cases)('$name', ({ text, fileName, problems }) => {
    const res = parse(text, fileName);
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.problems).toHaveLength(problems.length);
    problems.forEach((p, i) => {
      expect(res.problems[i]?.message).toMatch(p.re);
      expect(res.problems[i]?.line).toBe(p.line);
    });
  });

  it('reports every bad field at once', () => {
    const res = parse(fm('priority: urgent', 'labels: {a: 1}', 'estimatedHours: x'), 'nope.md');
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.problems.map((p) => p.field)).toEqual(['id', 'title', 'priority', 'labels', 'estimatedHours']);
    expect(res.problems.map((p) => p.line)).toEqual([undefined, undefined, 2, 3, 4]);
  });

  it('reports a YAML alias bomb as a problem at the first alias, instead of throwing', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const [prev, cur] of [
      ['a', 'b'],
      ['b', 'c'],
      ['c', 'd'],
    ])
      levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    const res = parse(fm('title: Bomb', ...levels));
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.problems).toEqual([{ message: expect.stringMatching(/alias bomb/), line: 4 }]);
  });

  it('still accepts an anchor reused a few times', () => {
    const task = ok(fm('title: T', 'labels: &l [a, b]', 'suggestedModels: *l'));
    expect(task.suggestedModels).toEqual(['a', 'b']);
  });
});

describe('serializeOriginalTask', () => {
  it('round-trips every field through parseOriginalTask', () => {
    const input = {
      title: 'Fix: the "quoted" — ünïcode bug',
      description: 'Line one\n\nLine: two # not a comment',
      priority: 'high' as const,
      model: 'ollama/codellama',
      suggestedModels: ['ollama/mistral'],
      labels: ['backend', '@odd', 'yes'],
      acceptanceCriteria: ['A: works', '- dash first', '#hash'],
      dependencies: ['task-2', '3'],
      estimatedHours: 1.5,
      assignee: '@alice',
      repo: 'https://example.com/r.git',
      baseBranch: 'develop',
      createdAt: '2026-01-02T10:00:00Z',
      body: '# Details\n\nSome *markdown*\n---\nnot frontmatter',
    };
    const text = serializeOriginalTask(input, '12');
    const task = ok(text, taskFileName('12', input.title));
    expect(task).toEqual({
      id: '12',
      title: input.title,
      status: 'To Do',
      priority: 'high',
      model: 'ollama/codellama',
      suggestedModels: ['ollama/mistral'],
      description: input.description,
      acceptanceCriteria: input.acceptanceCriteria,
      labels: input.labels,
      dependencies: ['2', '3'],
      estimatedHours: 1.5,
      assignee: '@alice',
      createdAt: '2026-01-02T10:00:00Z',
      repo: input.repo,
      baseBranch: 'develop',
      body: input.body,
      format: 'folders',
    });
  });

  it('writes the original template key order and a heading body by default', () => {
    const text = serializeOriginalTask({ title: 'Add auth', labels: ['a'], acceptanceCriteria: ['x'] }, '5');
    expect(text).toBe(
      '---\ntitle: Add auth\nstatus: To Do\npriority: medium\nlabels:\n  - a\nacceptanceCriteria:\n  - x\n' +
        'dependencies: []\n---\n\n# Add auth\n',
    );
    expect(ok(text, 'task-5 - Add auth.md').dependencies).toEqual([]);
  });

  it('writes dependencies as task-N like the template', () => {
    expect(serializeOriginalTask({ title: 'T', dependencies: ['4'] }, '5')).toContain(
      'dependencies:\n  - task-4\n',
    );
  });

  it.each([
    ['empty title', { title: '  ' }, /non-empty title/],
    ['self dependency', { title: 'T', dependencies: ['task-5'] }, /cannot depend on itself/],
  ])('rejects %s with TASK_INVALID', (_name, input, re) => {
    expect(() => serializeOriginalTask(input, '5')).toThrow(re);
    try {
      serializeOriginalTask(input, '5');
    } catch (err) {
      expect((err as { code?: string }).code).toBe('TASK_INVALID');
    }
  });
});

describe('parseOriginalTask: a Backlog.md file moved into todo/ (original USAGE method 3)', () => {
  it('takes description, criteria and date from the Backlog.md sections', () => {
    const path = fileURLToPath(
      new URL('../../fixtures/tasks/backlog/task-2 - Add-user-auth.md.txt', import.meta.url),
    );
    const task = ok(readFileSync(path, 'utf8'), 'task-2 - Add-user-auth.md');
    expect(task).toMatchObject({
      id: '2',
      title: 'Add user auth',
      priority: 'high',
      labels: ['backend', 'security'],
      assignee: '@alice',
      description: 'Implement OAuth 2.0',
      acceptanceCriteria: ['Login with Google', 'Login with GitHub'],
      format: 'folders',
    });
    expect(task.createdAt).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d$/);
  });

  it('frontmatter values win over body sections', () => {
    const text = fm('title: T', 'description: from frontmatter', 'acceptanceCriteria: []').replace(
      'Body text',
      '## Description\n\n<!-- SECTION:DESCRIPTION:BEGIN -->\nfrom body\n<!-- SECTION:DESCRIPTION:END -->\n\n## Acceptance Criteria\n<!-- AC:BEGIN -->\n- [ ] #1 x\n<!-- AC:END -->',
    );
    expect(ok(text)).toMatchObject({ description: 'from frontmatter', acceptanceCriteria: [] });
  });
});
