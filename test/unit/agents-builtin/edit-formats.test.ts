import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyEdits } from '../../../src/agents/builtin/edits.js';
import { Sandbox } from '../../../src/agents/builtin/sandbox.js';
import { parseTextReply } from '../../../src/agents/builtin/text-format.js';
import { snapshot, tempTree } from './helpers.js';

interface Case {
  name: string;
  files: Record<string, string>;
  reply: string;
  /** Expected file contents after applying; omitted files must be unchanged. */
  expect?: Record<string, string>;
  /** The reply must be rejected with an error matching this, and no file may change. */
  error?: RegExp;
}

const cases: Case[] = [
  {
    name: 'search/replace on a LF file',
    files: { 'src/a.ts': 'export const a = 1;\nexport const b = 2;\n' },
    reply: 'src/a.ts\n<<<<<<< SEARCH\nexport const b = 2;\n=======\nexport const b = 3;\n>>>>>>> REPLACE\n',
    expect: { 'src/a.ts': 'export const a = 1;\nexport const b = 3;\n' },
  },
  {
    name: 'CRLF file matched by a LF search block keeps CRLF endings',
    files: { 'win.txt': 'one\r\ntwo\r\nthree\r\n' },
    reply: 'win.txt\n<<<<<<< SEARCH\ntwo\n=======\nTWO\nand a half\n>>>>>>> REPLACE\n',
    expect: { 'win.txt': 'one\r\nTWO\r\nand a half\r\nthree\r\n' },
  },
  {
    name: 'CRLF reply against a LF file writes LF',
    files: { 'lf.txt': 'x\ny\n' },
    reply: 'lf.txt\r\n<<<<<<< SEARCH\r\ny\r\n=======\r\nz\r\n>>>>>>> REPLACE\r\n',
    expect: { 'lf.txt': 'x\nz\n' },
  },
  {
    name: 'unicode text and a BOM survive',
    files: { 'i18n.md': '\uFEFFGrüße 👋\nnaïve café\n日本語\n' },
    reply: 'i18n.md\n<<<<<<< SEARCH\nnaïve café\n=======\nnaïve café ☕\n>>>>>>> REPLACE\n',
    expect: { 'i18n.md': '\uFEFFGrüße 👋\nnaïve café ☕\n日本語\n' },
  },
  {
    name: 'missing file with empty SEARCH creates it (nested directories too)',
    files: {},
    reply:
      'lib/deep/new.py\n```python\n<<<<<<< SEARCH\n=======\ndef hello():\n    return "hi"\n>>>>>>> REPLACE\n```\n',
    expect: { 'lib/deep/new.py': 'def hello():\n    return "hi"\n' },
  },
  {
    name: 'whole-file block replaces content and keeps CRLF',
    files: { 'cfg.ini': 'a=1\r\nb=2\r\n' },
    reply: 'Here it is.\nFILE: cfg.ini\n```ini\na=1\nb=3\nc=4\n```\nDONE: updated config\n',
    expect: { 'cfg.ini': 'a=1\r\nb=3\r\nc=4\r\n' },
  },
  {
    name: 'whole-file block with a four-backtick fence may contain three',
    files: {},
    reply: 'FILE: docs/x.md\n````markdown\n# T\n```js\nlet a;\n```\n````\n',
    expect: { 'docs/x.md': '# T\n```js\nlet a;\n```\n' },
  },
  {
    name: 'two non-overlapping edits in one file apply together',
    files: { 'm.js': 'a\nb\nc\nd\n' },
    reply:
      'm.js\n<<<<<<< SEARCH\na\n=======\nA\n>>>>>>> REPLACE\nm.js\n<<<<<<< SEARCH\nd\n=======\nD\n>>>>>>> REPLACE\n',
    expect: { 'm.js': 'A\nb\nc\nD\n' },
  },
  {
    name: 'trailing whitespace differences are tolerated when unique',
    files: { 't.py': 'def f():   \n    return 1\n' },
    reply: 't.py\n<<<<<<< SEARCH\ndef f():\n    return 1\n=======\ndef f():\n    return 2\n>>>>>>> REPLACE\n',
    expect: { 't.py': 'def f():\n    return 2\n' },
  },
  {
    name: 'overlapping edits are rejected',
    files: { 'o.txt': 'one\ntwo\nthree\n' },
    reply:
      'o.txt\n<<<<<<< SEARCH\none\ntwo\n=======\n1\n2\n>>>>>>> REPLACE\no.txt\n<<<<<<< SEARCH\ntwo\nthree\n=======\n2\n3\n>>>>>>> REPLACE\n',
    error: /overlap/,
  },
  {
    name: 'ambiguous search is rejected',
    files: { 'dup.txt': 'x = 1\ny\nx = 1\n' },
    reply: 'dup.txt\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n',
    error: /matches 2 places/,
  },
  {
    name: 'search text not found is rejected and nothing else is written',
    files: { 'a.txt': 'alpha\n', 'b.txt': 'beta\n' },
    reply:
      'a.txt\n<<<<<<< SEARCH\nalpha\n=======\nALPHA\n>>>>>>> REPLACE\nb.txt\n<<<<<<< SEARCH\ngamma\n=======\nGAMMA\n>>>>>>> REPLACE\n',
    error: /not found/,
  },
  {
    name: 'malformed block (no REPLACE marker) after a good block: no partial change',
    files: { 'a.txt': 'alpha\n' },
    reply:
      'a.txt\n<<<<<<< SEARCH\nalpha\n=======\nALPHA\n>>>>>>> REPLACE\na.txt\n<<<<<<< SEARCH\nALPHA\n=======\nomega\n',
    error: /not complete/,
  },
  {
    name: 'unclosed whole-file fence: no partial change',
    files: { 'k.txt': 'keep\n' },
    reply: 'FILE: new.txt\n```\nhalf a file\n',
    error: /not closed/,
  },
  {
    name: 'edit of a missing file with a non-empty SEARCH is rejected',
    files: {},
    reply: 'ghost.ts\n<<<<<<< SEARCH\nfoo\n=======\nbar\n>>>>>>> REPLACE\n',
    error: /does not exist/,
  },
  {
    name: 'path traversal in a block is rejected and a good block in the same reply is not applied',
    files: { 'ok.txt': 'ok\n' },
    reply:
      'ok.txt\n<<<<<<< SEARCH\nok\n=======\nchanged\n>>>>>>> REPLACE\n../evil.txt\n<<<<<<< SEARCH\n=======\npwned\n>>>>>>> REPLACE\n',
    error: /escapes the repository/,
  },
  {
    name: 'writing into .git is rejected',
    files: {},
    reply: '.git/hooks/pre-commit\n<<<<<<< SEARCH\n=======\nrm -rf /\n>>>>>>> REPLACE\n',
    error: /\.git/,
  },
];

/** Runs the same path the agent uses in text mode: parse, then validate-all-then-write. */
async function applyReply(root: string, reply: string): Promise<{ ok: boolean; errors: string[] }> {
  const parsed = parseTextReply(reply);
  if (parsed.errors.length) return { ok: false, errors: parsed.errors };
  const res = await applyEdits(new Sandbox(root), parsed.edits);
  return res.ok ? { ok: true, errors: [] } : res;
}

describe('edit formats', () => {
  let t: Awaited<ReturnType<typeof tempTree>>;
  beforeEach(async () => {
    t = await tempTree();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it.each(cases)('$name', async (c) => {
    for (const [rel, text] of Object.entries(c.files)) {
      await mkdir(path.dirname(path.join(t.repo, rel)), { recursive: true });
      await writeFile(path.join(t.repo, rel), text);
    }
    const before = await snapshot(t.base);
    const res = await applyReply(t.repo, c.reply);
    const after = await snapshot(t.base);
    if (c.error) {
      expect(res.ok).toBe(false);
      expect(res.errors.join('\n')).toMatch(c.error);
      expect(after).toEqual(before);
    } else {
      expect(res.errors).toEqual([]);
      const expected = { ...before };
      for (const [rel, text] of Object.entries(c.expect ?? {})) expected[`repo/${rel}`] = text;
      expect(after).toEqual(expected);
    }
  });
});

describe('parseTextReply', () => {
  it('reports DONE with its summary and no edits for a plain completion', () => {
    const p = parseTextReply('All good, nothing to change.\nDONE: nothing needed');
    expect(p).toMatchObject({ done: true, summary: 'nothing needed', edits: [], errors: [] });
  });
  it('reuses the previous path for consecutive blocks', () => {
    const p = parseTextReply(
      'a.ts\n<<<<<<< SEARCH\n1\n=======\n2\n>>>>>>> REPLACE\n\n<<<<<<< SEARCH\n3\n=======\n4\n>>>>>>> REPLACE\n',
    );
    expect(p.edits.map((e) => e.path)).toEqual(['a.ts', 'a.ts']);
  });
  it('flags a stray divider', () => {
    expect(parseTextReply('=======\n').errors[0]).toMatch(/outside a SEARCH block/);
  });
});
