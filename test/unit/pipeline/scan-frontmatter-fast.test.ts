import { describe, expect, it } from 'vitest';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { parseFrontmatterYaml } from '../../../src/tasks/frontmatter.js';
import { parseSimpleFrontmatter } from '../../../src/tasks/frontmatter-fast.js';
import { parseOriginalTask } from '../../../src/tasks/index.js';

/** What the YAML parser makes of `yaml` (frontmatter starting at file line 2). */
function viaYaml(yaml: string): { data: unknown; keyLines: Map<string, number> } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(yaml, { lineCounter, uniqueKeys: true });
  expect(doc.errors).toEqual([]);
  const keyLines = new Map<string, number>();
  if (isMap(doc.contents)) {
    for (const pair of doc.contents.items) {
      if (isScalar(pair.key) && pair.key.range)
        keyLines.set(String(pair.key.value), lineCounter.linePos(pair.key.range[0]).line);
    }
  }
  return { data: doc.toJS(), keyLines };
}

/** Frontmatter the scan reads fast: each must come out exactly as the YAML parser reads it. */
const SIMPLE = [
  'title: Scan task 1\nstatus: To Do\npriority: high\ndescription: Do thing 1\nacceptanceCriteria:\n  - It works\n',
  'title: Scan task 10\npriority: low\ndependencies: [task-9]\nlabels: [backend, db migration]\nempty: []\nspaced: [ ]',
  "title: A, b (c) / d\nacceptanceCriteria:\n- one\n- two words\n- Don't break it!\nnote: about 50% done & more? yes = fine, a:b",
  'title: x\nassignee:\nlabels:\n    - a\n    - b\n\nmodel: qwen2.5-coder:7b',
  'title: Yes\nstatus: No\nflag: on\nother: Off\nword: nullish\nwords: true story\nfloaty: Infinity',
  'title: t\nrepo: org/repo-name\nbaseBranch: main\nmodelPreference: fast\nsuggestedModels: [qwen, llama3]',
];

/** Frontmatter the fast reader must leave to the YAML parser (its meaning is not plain strings, or it is wrong). */
const NOT_SIMPLE = [
  'title: x\nestimatedHours: 3',
  'title: x\nflag: true',
  'title: x\nnothing: null',
  'title: x\nnothing: ~',
  'title: "quoted"',
  "title: 'single'",
  'title: x # comment',
  '# comment\ntitle: x',
  'title: a: b',
  'title: ends with colon:',
  'title: x\nlabels: [a:b]',
  'title: x\ntitle: y',
  'title: x\ndescription: |\n  block\n  text',
  'title: x\ndescription: >\n  folded',
  'title: x\nmeta:\n  nested: 1',
  'title: x\nlist:\n  - a\n   - b',
  'title: x\nlist:\n  -  a',
  'title: x\nlist:\n  - [a]',
  'title: x\nlabels: [a, ]',
  'title: x\nlabels: [a, [b]]',
  'title: x\nlabels: [true]',
  'title: x\nassignee: @alice',
  'title: x\ncreatedAt: 2024-01-01',
  'title: x\ntext: continued\n  on the next line',
  'title: x\t',
  'title: trailing \ndescription: y',
  'title: x\n- orphan',
  'title: Ünïcode',
  'title: &anchor x\nother: *anchor',
  'title: x\nkey:value',
  'null: x',
  'true: x',
  '',
  '\n\n',
  'title: {a: b}',
  'title: x\n...\n',
  'title: x\n---',
  'title: .inf',
  'title: x\nwin: a\r',
];

describe('fast frontmatter reader (start-up scan)', () => {
  it('reads plain frontmatter exactly as the YAML parser does, key lines included', () => {
    for (const yaml of SIMPLE) {
      const fast = parseSimpleFrontmatter(yaml, 2);
      expect(fast, yaml).toBeDefined();
      const ref = viaYaml(yaml);
      expect(fast?.data, yaml).toStrictEqual(ref.data);
      expect([...(fast?.keyLines ?? [])], yaml).toEqual([...ref.keyLines].map(([k, l]) => [k, l + 1]));
    }
  });

  it('leaves everything else to the YAML parser', () => {
    for (const yaml of NOT_SIMPLE)
      expect(parseSimpleFrontmatter(yaml, 2), JSON.stringify(yaml)).toBeUndefined();
  });

  it('gives the same answer as before for files it does not read (errors keep their lines)', () => {
    const dup = parseFrontmatterYaml('title: x\ntitle: y', 2);
    expect(dup.ok).toBe(false);
    if (!dup.ok) expect(dup.problems[0]?.line).toBe(3);
    const hours = parseFrontmatterYaml('title: x\nestimatedHours: 3', 2);
    expect(hours).toMatchObject({ ok: true, value: { data: { title: 'x', estimatedHours: 3 } } });
  });

  it('parses task files into the same tasks as through YAML', () => {
    const opts = { fileName: 'task-10 - Scan task 10.md', extractRegex: 'task-(\\d+)' };
    for (const fm of SIMPLE) {
      const text = `---\n${fm}\n---\n\n# Body\n`;
      // A trailing comment changes no value and sends the same file through the YAML parser.
      const viaParser = text.replace(/\n---\n\n# Body/, '\n# via the parser\n---\n\n# Body');
      expect(parseSimpleFrontmatter(`${fm}\n# via the parser`, 2)).toBeUndefined();
      expect(parseOriginalTask(text, opts), fm).toStrictEqual(parseOriginalTask(viaParser, opts));
    }
    const bench = parseOriginalTask(`---\n${SIMPLE[0]}dependencies: [task-9]\n---\n\n# Scan task 10\n`, opts);
    expect(bench).toMatchObject({ ok: true, task: { id: '10', title: 'Scan task 1', priority: 'high' } });
  });
});
