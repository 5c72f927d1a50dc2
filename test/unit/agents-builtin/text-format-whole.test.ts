import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyEdits } from '../../../src/agents/builtin/edits.js';
import { Sandbox } from '../../../src/agents/builtin/sandbox.js';
import { parseTextReply } from '../../../src/agents/builtin/text-format.js';
import { looksLikePath } from '../../../src/agents/builtin/whole-file.js';
import { snapshot, tempTree } from './helpers.js';

/*
 * The whole-file shapes small models produce without being asked for them (Aider's "whole"
 * format and its cousins). Each shape must yield exactly one write of the fenced content to
 * the named path; a fenced block with no path named stays prose.
 */

const BODY = 'Hello, world!\nSecond line\n';
const fenced = (info = '') => `\`\`\`${info}\n${BODY}\`\`\``;

const shapes: Array<{ name: string; reply: string; path?: string }> = [
  { name: 'bare path line right before a fence (the held-out reply)', reply: `hello.txt\n${fenced()}` },
  {
    name: 'bare path line before a fence with a language',
    reply: `src/app.py\n${fenced('python')}`,
    path: 'src/app.py',
  },
  { name: 'info string is the path', reply: fenced('hello.txt') },
  { name: 'info string is language then path', reply: fenced('python hello.txt') },
  { name: 'info string is language:path', reply: fenced('txt:hello.txt') },
  { name: 'info string is path=…', reply: fenced('path=hello.txt') },
  {
    name: 'info string is file="…" after the language',
    reply: fenced('text file="docs/hello.md"'),
    path: 'docs/hello.md',
  },
  { name: '"path:" header (path with a colon)', reply: `hello.txt:\n${fenced()}` },
  { name: '"Path: x" header', reply: `Path: hello.txt\n${fenced()}` },
  { name: '"File: x" header', reply: `File: hello.txt\n${fenced('text')}` },
  { name: '"Filename: `x`" header', reply: `Filename: \`hello.txt\`\n${fenced()}` },
  { name: '"### x" header', reply: `### hello.txt\n${fenced()}` },
  { name: '"**x**" header', reply: `**hello.txt**\n${fenced()}` },
  { name: '"**`x`**:" header', reply: `**\`lib/hello.txt\`**:\n${fenced()}`, path: 'lib/hello.txt' },
  { name: '"- x" list item header', reply: `- hello.txt\n${fenced()}` },
  { name: 'marked header, one blank line, then the fence', reply: `### hello.txt\n\n${fenced()}` },
  { name: 'tilde fence', reply: `hello.txt\n~~~\n${BODY}~~~` },
  {
    name: 'prose around the block and a DONE line',
    reply: `Here is the updated file.\n\nhello.txt\n${fenced('text')}\n\nDONE: wrote hello.txt`,
  },
  {
    name: 'indented block (inside a list item) loses the list indentation',
    reply: '1. Update it:\n   hello.txt\n   ```\n   Hello, world!\n   Second line\n   ```',
  },
];

describe('whole-file shapes', () => {
  it.each(shapes)('$name', ({ reply, path: want = 'hello.txt' }) => {
    const p = parseTextReply(reply);
    expect(p.errors).toEqual([]);
    expect(p.edits).toEqual([{ kind: 'write', path: want, content: BODY }]);
  });

  it('the DONE summary is kept next to a whole-file block', () => {
    const p = parseTextReply(shapes.find((s) => s.name.startsWith('prose'))!.reply);
    expect(p).toMatchObject({ done: true, summary: 'wrote hello.txt' });
  });

  it('a four-backtick fence may hold three-backtick fences', () => {
    const p = parseTextReply('README.md\n````markdown\n# T\n```js\nlet a;\n```\n````\n');
    expect(p.edits).toEqual([{ kind: 'write', path: 'README.md', content: '# T\n```js\nlet a;\n```\n' }]);
  });

  it('several files in one reply, SEARCH/REPLACE and whole-file mixed', () => {
    const p = parseTextReply(
      'a.txt\n```\nA\n```\n\nb.ts\n```ts\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n```\n```c.md\nC\n```',
    );
    expect(p.errors).toEqual([]);
    expect(p.edits).toEqual([
      { kind: 'write', path: 'a.txt', content: 'A\n' },
      { kind: 'replace', path: 'b.ts', search: 'x\n', replace: 'y\n' },
      { kind: 'write', path: 'c.md', content: 'C\n' },
    ]);
  });

  it('header and info string naming different files is an error, not a guess', () => {
    const p = parseTextReply(`a.txt\n${fenced('b.txt')}`);
    expect(p.edits).toEqual([]);
    expect(p.errors.join('\n')).toMatch(/names two files/);
  });

  it('a named block that is never closed rejects the reply', () => {
    const p = parseTextReply('hello.txt\n```\nhalf a file\n');
    expect(p.errors.join('\n')).toMatch(/not closed/);
  });
});

describe('example code blocks in prose are not edits', () => {
  const prose = [
    'Run this:\n```bash\nnpm test\n```',
    'Example\n```\nconst x = 1;\n```',
    'Here is the updated hello.txt:\n```\nHello\n```',
    'See https://example.com/a.js\n```js\nfetch()\n```',
    'Version 1.2.3\n```\nchangelog\n```',
    '```python\nprint(1)\n```',
    'hello.txt\n\n```\nHello\n```',
  ];
  it.each(prose)('%j', (reply) => {
    const p = parseTextReply(reply);
    expect(p.errors).toEqual([]);
    expect(p.edits).toEqual([]);
  });
});

describe('looksLikePath', () => {
  it.each(['hello.txt', 'src/a.ts', '.gitignore', 'docs/readme', 'a/b/c.d.ts', '../x.txt', 'src\\win.c'])(
    'accepts %s',
    (p) => expect(looksLikePath(p)).toBe(true),
  );
  it.each([
    'python',
    'hello world.txt',
    'https://x.y/a.js',
    'www.example.com',
    '1.2.3',
    'Example',
    '',
    '/',
    `${'a'.repeat(301)}.txt`,
  ])('refuses %j', (p) => expect(looksLikePath(p)).toBe(false));
});

/** Parse, then validate-all-then-write: what the agent does with a text reply. */
async function applyReply(root: string, reply: string) {
  const parsed = parseTextReply(reply);
  if (parsed.errors.length) return { ok: false as const, errors: parsed.errors };
  return applyEdits(new Sandbox(root), parsed.edits);
}

describe('whole-file blocks keep the path checks and the all-or-nothing rule', () => {
  let t: Awaited<ReturnType<typeof tempTree>>;
  beforeEach(async () => {
    t = await tempTree();
    await writeFile(path.join(t.repo, 'hello.txt'), 'old\r\n');
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('replaces an existing file, keeping its CRLF endings', async () => {
    const res = await applyReply(t.repo, `hello.txt\n${fenced()}`);
    expect(res).toEqual({ ok: true, changed: ['hello.txt'] });
    expect(await readFile(path.join(t.repo, 'hello.txt'), 'utf8')).toBe(BODY.replace(/\n/g, '\r\n'));
  });

  it.each([
    ['a path escaping the repository', '../evil.txt', /escapes the repository/],
    ['a path into .git', '.git/hooks/pre-commit', /\.git/],
    ['an absolute path', '/etc/evil.txt', /absolute path not allowed/],
    ['a protected path', '.husky/pre-commit', /protected path/],
  ])('%s in a second block: nothing is written', async (_n, bad, error) => {
    await mkdir(path.join(t.base, 'outside'), { recursive: true });
    const before = await snapshot(t.base);
    const res = await applyReply(t.repo, `hello.txt\n${fenced()}\n\n${bad}\n\`\`\`\npwned\n\`\`\``);
    expect(res.ok).toBe(false);
    expect((res as { errors: string[] }).errors.join('\n')).toMatch(error);
    expect(await snapshot(t.base)).toEqual(before);
  });

  it('the same file named by two whole-file blocks is rejected', async () => {
    const res = await applyReply(t.repo, `hello.txt\n${fenced()}\n\`\`\`hello.txt\nagain\n\`\`\``);
    expect(res.ok).toBe(false);
    expect(await readFile(path.join(t.repo, 'hello.txt'), 'utf8')).toBe('old\r\n');
  });
});

describe('explicit labels name files without an extension', () => {
  it.each([
    ['FILE: Makefile', 'Makefile'],
    ['Path: Dockerfile', 'Dockerfile'],
    ['```path=LICENSE', 'LICENSE'],
  ])('%s', (head, want) => {
    const reply = head.startsWith('```') ? `${head}\nx\n\`\`\`` : `${head}\n\`\`\`\nx\n\`\`\``;
    expect(parseTextReply(reply).edits).toEqual([{ kind: 'write', path: want, content: 'x\n' }]);
  });
  it('a bare Makefile line is not enough', () => {
    expect(parseTextReply('Makefile\n```\nx\n```').edits).toEqual([]);
  });
});

describe('a unified diff under a path is refused, not written as the file', () => {
  it.each([
    '```diff\n--- a/hello.txt\n+++ b/hello.txt\n@@ -1 +1 @@\n-a\n+b\n```',
    '```\n@@ -1 +1 @@\n-a\n+b\n```',
  ])('%j', (block) => {
    const p = parseTextReply(`hello.txt\n${block}`);
    expect(p.edits).toEqual([]);
    expect(p.errors.join('\n')).toMatch(/unified diffs are not applied/);
  });
});

describe('an explicit FILE: header is never dropped silently', () => {
  it.each(['FILE: a:b\n```\nx\n```', 'FILE: my file.txt\n```\nx\n```', 'FILE: x.txt\nno fence here'])(
    '%j',
    (reply) => {
      const p = parseTextReply(reply);
      expect(p.edits).toEqual([]);
      expect(p.errors.join('\n')).toMatch(
        /"FILE:" (needs one relative file path|must be followed by a fenced block)/,
      );
    },
  );
});
