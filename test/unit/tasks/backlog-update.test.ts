import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { yamlScalar } from '../../../src/tasks/backlog-update.js';
import { backlogTimestamp, parseBacklogTask, updateBacklogTask } from '../../../src/tasks/index.js';

const DIR = fileURLToPath(new URL('../../fixtures/tasks/backlog/', import.meta.url));
const FIXTURES = readdirSync(DIR)
  .filter((f) => f.endsWith('.md.txt'))
  .map((f) => [f, readFileSync(`${DIR}${f}`, 'utf8')] as const);

/** Lines of `b` that are not in `a` at the same place, to show an edit touched only them. */
function changedLines(a: string, b: string): string[] {
  const al = a.split('\n');
  const bl = b.split('\n');
  if (al.length !== bl.length) throw new Error(`line count changed: ${al.length} → ${bl.length}`);
  return bl.filter((line, i) => line !== al[i]);
}

const HAND_WRITTEN = [
  '---',
  '# a comment the CLI would drop',
  'id: task-3',
  'title: Hand written',
  'status: To Do   # trailing comment',
  'custom_key: {nested: true}',
  'labels: [alpha, Beta]',
  'created_date: 2026-01-02',
  '---',
  '',
  'Free text first.',
  '',
  '## Description',
  '',
  '<!-- SECTION:DESCRIPTION:BEGIN -->',
  'D',
  '<!-- SECTION:DESCRIPTION:END -->',
  '',
  '## Unknown Section',
  '',
  'kept   exactly  ',
  '',
].join('\n');

describe('updateBacklogTask: no change keeps every byte', () => {
  it.each(FIXTURES)('%s', (_name, text) => {
    expect(updateBacklogTask(text, {})).toBe(text);
    expect(updateBacklogTask(text, { addLabels: [], removeLabels: [], appendNotes: '  ' })).toBe(text);
  });

  it.each([
    ['CRLF', HAND_WRITTEN.replace(/\n/g, '\r\n')],
    ['BOM', `\uFEFF${HAND_WRITTEN}`],
    ['hand-written', HAND_WRITTEN],
    ['no frontmatter', '# Not a task\n'],
    ['unterminated frontmatter', '---\nid: x\n'],
  ])('%s', (_name, text) => {
    expect(updateBacklogTask(text, {})).toBe(text);
  });

  it('adding a label that is already there (any case) changes nothing', () => {
    expect(updateBacklogTask(HAND_WRITTEN, { addLabels: ['ALPHA'] })).toBe(HAND_WRITTEN);
  });
});

describe('updateBacklogTask: frontmatter edits touch only their lines', () => {
  it('status replaces one line, keeping the comments and unknown keys', () => {
    const out = updateBacklogTask(HAND_WRITTEN, { status: 'In Progress' });
    expect(changedLines(HAND_WRITTEN, out)).toEqual(['status: In Progress']);
  });

  it('status that needs quoting is quoted the way js-yaml does', () => {
    const out = updateBacklogTask(HAND_WRITTEN, { status: 'Done: yes' });
    expect(changedLines(HAND_WRITTEN, out)).toEqual(["status: 'Done: yes'"]);
    expect(parseBacklogTask(out, { fileName: 'task-3 - x.md' }).ok && 'parsed').toBe('parsed');
  });

  it('status is inserted after the title when missing', () => {
    const text = '---\nid: task-1\ntitle: T\n---\n';
    expect(updateBacklogTask(text, { status: 'To Do' })).toBe(
      '---\nid: task-1\ntitle: T\nstatus: To Do\n---\n',
    );
  });

  it('updated_date is inserted after created_date, then replaced in place', () => {
    const once = updateBacklogTask(HAND_WRITTEN, { updatedDate: '2026-02-03 04:05' });
    expect(once).toContain("created_date: 2026-01-02\nupdated_date: '2026-02-03 04:05'\n---");
    const twice = updateBacklogTask(once, { updatedDate: '2026-02-03 04:06' });
    expect(changedLines(once, twice)).toEqual(["updated_date: '2026-02-03 04:06'"]);
  });

  it.each([
    ['add to a flow list', { addLabels: ['failed'] }, 'labels:\n  - alpha\n  - Beta\n  - failed\n'],
    ['remove case-insensitively', { removeLabels: ['beta'] }, 'labels:\n  - alpha\n'],
    ['remove all', { removeLabels: ['alpha', 'Beta'] }, 'labels: []\n'],
    [
      'add and remove',
      { addLabels: ['@odd', 'yes'], removeLabels: ['alpha'] },
      "labels:\n  - Beta\n  - '@odd'\n  - 'yes'\n",
    ],
  ])('labels: %s', (_name, change, block) => {
    const out = updateBacklogTask(HAND_WRITTEN, change);
    expect(out).toBe(HAND_WRITTEN.replace('labels: [alpha, Beta]\n', block));
  });

  it('labels as a block list with more keys after it', () => {
    const text = '---\nid: task-1\ntitle: T\nlabels:\n- a\n- b\ndependencies: []\n---\n';
    expect(updateBacklogTask(text, { addLabels: ['c'] })).toBe(
      '---\nid: task-1\ntitle: T\nlabels:\n  - a\n  - b\n  - c\ndependencies: []\n---\n',
    );
  });

  it('unreadable labels are left alone', () => {
    const text = '---\nid: task-1\ntitle: T\nlabels: [a, *b]\n---\n';
    expect(updateBacklogTask(text, { addLabels: ['c'], status: 'Done' })).toBe(
      '---\nid: task-1\ntitle: T\nstatus: Done\nlabels: [a, *b]\n---\n',
    );
  });

  it('labels are inserted when the key is missing', () => {
    const text = '---\nid: task-1\ntitle: T\nstatus: To Do\ncreated_date: x\npriority: high\n---\n';
    expect(updateBacklogTask(text, { addLabels: ['failed'] })).toBe(
      '---\nid: task-1\ntitle: T\nstatus: To Do\ncreated_date: x\nlabels:\n  - failed\npriority: high\n---\n',
    );
  });

  it('CRLF files get CRLF on the lines we write', () => {
    const crlf = HAND_WRITTEN.replace(/\n/g, '\r\n');
    const out = updateBacklogTask(crlf, {
      status: 'Done',
      addLabels: ['x'],
      updatedDate: '2026-01-01 00:00',
    });
    expect(out.replace(/\r\n/g, '')).not.toMatch(/\n/);
    expect(out).toBe(
      updateBacklogTask(HAND_WRITTEN, {
        status: 'Done',
        addLabels: ['x'],
        updatedDate: '2026-01-01 00:00',
      }).replace(/\n/g, '\r\n'),
    );
  });

  it('a BOM stays in front', () => {
    const out = updateBacklogTask(`\uFEFF${HAND_WRITTEN}`, { status: 'Done' });
    expect(out.startsWith('\uFEFF---\n')).toBe(true);
    expect(out).toContain('\nstatus: Done\n');
  });
});

const NOTES = (text: string) =>
  `## Implementation Notes\n\n<!-- SECTION:NOTES:BEGIN -->\n${text}\n<!-- SECTION:NOTES:END -->`;
const FM = '---\nid: task-1\ntitle: T\n---\n';
const SEC = {
  desc: '## Description\n\n<!-- SECTION:DESCRIPTION:BEGIN -->\nD\n<!-- SECTION:DESCRIPTION:END -->',
  ac: '## Acceptance Criteria\n<!-- AC:BEGIN -->\n- [ ] #1 a\n<!-- AC:END -->',
  dod: '## Definition of Done\n<!-- DOD:BEGIN -->\n- [ ] #1 d\n<!-- DOD:END -->',
  plan: '## Implementation Plan\n\n<!-- SECTION:PLAN:BEGIN -->\nP\n<!-- SECTION:PLAN:END -->',
  summary: '## Final Summary\n\n<!-- SECTION:FINAL_SUMMARY:BEGIN -->\nS\n<!-- SECTION:FINAL_SUMMARY:END -->',
  comments: '## Comments\n\n<!-- COMMENTS:BEGIN -->\ncreated: x\n---\nc\n---\n<!-- COMMENTS:END -->',
};
const doc = (...sections: string[]) => `${FM}\n${sections.join('\n\n')}\n`;

describe('updateBacklogTask: notes go where the CLI puts them', () => {
  it.each([
    ['empty body', `${FM}\n\n`, `${FM}\n${NOTES('N')}\n`],
    ['only a description: appended', doc(SEC.desc), doc(SEC.desc, NOTES('N'))],
    [
      'after the plan',
      doc(SEC.desc, SEC.ac, SEC.plan, SEC.summary),
      doc(SEC.desc, SEC.ac, SEC.plan, NOTES('N'), SEC.summary),
    ],
    [
      'after Definition of Done',
      doc(SEC.ac, SEC.dod, SEC.comments),
      doc(SEC.ac, SEC.dod, NOTES('N'), SEC.comments),
    ],
    ['after acceptance criteria', doc(SEC.desc, SEC.ac), doc(SEC.desc, SEC.ac, NOTES('N'))],
    ['before comments', doc(SEC.desc, SEC.comments), doc(SEC.desc, NOTES('N'), SEC.comments)],
    ['before the final summary', doc(SEC.summary), doc(NOTES('N'), SEC.summary)],
    ['into existing notes', doc(SEC.ac, NOTES('old')), doc(SEC.ac, NOTES('old\n\nN'))],
    [
      'into empty notes',
      doc(SEC.ac, NOTES('').replace('\n\n<!-- SECTION:NOTES:END', '\n<!-- SECTION:NOTES:END')),
      doc(SEC.ac, NOTES('N')),
    ],
  ])('%s', (_name, before, after) => {
    expect(updateBacklogTask(before, { appendNotes: '  N \n' })).toBe(after);
  });

  it('keeps a file without a final newline that way when appending at the end', () => {
    const text = doc(SEC.desc).trimEnd();
    expect(updateBacklogTask(text, { appendNotes: 'N' })).toBe(doc(SEC.desc, NOTES('N')).trimEnd());
  });

  it('appends to a legacy notes section without markers, keeping what follows', () => {
    const text = `${FM}\n## Implementation Notes\n\nold words\n\n## Other\n\nx\n`;
    expect(updateBacklogTask(text, { appendNotes: 'new' })).toBe(
      `${FM}\n## Implementation Notes\n\nold words\n\nnew\n\n## Other\n\nx\n`,
    );
  });

  it('keeps unknown sections and free text byte for byte', () => {
    const out = updateBacklogTask(HAND_WRITTEN, { appendNotes: 'N' });
    expect(out).toBe(`${HAND_WRITTEN.slice(0, -1)}\n\n${NOTES('N')}\n`);
    expect(out).toContain('kept   exactly  \n');
  });

  it('multi-line notes with CRLF input are written with the file line endings', () => {
    const crlf = doc(SEC.ac).replace(/\n/g, '\r\n');
    const out = updateBacklogTask(crlf, { appendNotes: 'a\r\nb' });
    expect(out).toBe(doc(SEC.ac, NOTES('a\nb')).replace(/\n/g, '\r\n'));
  });

  it('notes round-trip through the parser', () => {
    const out = updateBacklogTask(doc(SEC.desc, SEC.ac), { appendNotes: 'PR: http://x/1' });
    const res = parseBacklogTask(out, { fileName: 'task-1 - T.md' });
    expect(res.ok && res.task.implementationNotes).toBe('PR: http://x/1');
    expect(res.ok && res.task.acceptanceCriteria).toEqual(['a']);
  });
});

describe('yamlScalar / backlogTimestamp', () => {
  it.each([
    ['In Progress', 'In Progress'],
    ['To Do', 'To Do'],
    ['failed', 'failed'],
    ['with space', 'with space'],
    ['@alice', "'@alice'"],
    ['2026-11-24 04:26', "'2026-11-24 04:26'"],
    ['https://example.com', "'https://example.com'"],
    ['a: b', "'a: b'"],
    ["it's", "it's"],
    ["'quoted'", "'''quoted'''"],
    ['yes', "'yes'"],
    ['123', "'123'"],
    ['', "''"],
    [' lead', "' lead'"],
    ['a #b', "'a #b'"],
    ['two\nlines', '"two\\nlines"'],
    ['ünïcode', 'ünïcode'],
  ])('%j → %s', (value, out) => {
    expect(yamlScalar(value)).toBe(out);
  });

  it('formats a Date as the CLI stamps dates (UTC, minutes)', () => {
    expect(backlogTimestamp(new Date('2026-03-04T05:06:59.999Z'))).toBe('2026-03-04 05:06');
  });
});
