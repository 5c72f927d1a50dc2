/**
 * The Markdown body layout Backlog.md (npm `backlog.md`, checked against CLI 1.52) writes:
 * `## Title` headings, structured sections fenced by `<!-- SECTION:X:BEGIN/END -->`,
 * checklists fenced by `<!-- AC:BEGIN/END -->` and `<!-- DOD:BEGIN/END -->`, comments by
 * `<!-- COMMENTS:BEGIN/END -->`. All helpers here take LF text.
 */

export interface SectionSpec {
  title: string;
  begin: string;
  end: string;
}

const section = (title: string, begin: string, end: string): SectionSpec => ({ title, begin, end });

export const SECTIONS = {
  description: section(
    'Description',
    '<!-- SECTION:DESCRIPTION:BEGIN -->',
    '<!-- SECTION:DESCRIPTION:END -->',
  ),
  acceptanceCriteria: section('Acceptance Criteria', '<!-- AC:BEGIN -->', '<!-- AC:END -->'),
  definitionOfDone: section('Definition of Done', '<!-- DOD:BEGIN -->', '<!-- DOD:END -->'),
  plan: section('Implementation Plan', '<!-- SECTION:PLAN:BEGIN -->', '<!-- SECTION:PLAN:END -->'),
  notes: section('Implementation Notes', '<!-- SECTION:NOTES:BEGIN -->', '<!-- SECTION:NOTES:END -->'),
  finalSummary: section(
    'Final Summary',
    '<!-- SECTION:FINAL_SUMMARY:BEGIN -->',
    '<!-- SECTION:FINAL_SUMMARY:END -->',
  ),
  comments: section('Comments', '<!-- COMMENTS:BEGIN -->', '<!-- COMMENTS:END -->'),
} as const;

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Where a section sits in the body: heading start, content span, and the end of the block. */
export interface SectionMatch {
  start: number;
  contentStart: number;
  contentEnd: number;
  end: number;
  fenced: boolean;
}

/**
 * Finds a section: first the fenced form (`## Title` + BEGIN … END), then the legacy form
 * (`## Title` up to the next `## ` heading), as Backlog.md itself reads both.
 */
export function findSection(body: string, spec: SectionSpec): SectionMatch | undefined {
  const fenced = new RegExp(
    `(^|\\n)## ${escapeRegex(spec.title)}[ \\t]*\\n\\s*${escapeRegex(spec.begin)}[ \\t]*\\n?([\\s\\S]*?)${escapeRegex(spec.end)}`,
    'i',
  ).exec(body);
  if (fenced) {
    const start = fenced.index + (fenced[1] ?? '').length;
    const end = fenced.index + fenced[0].length;
    const contentEnd = end - spec.end.length;
    return { start, contentStart: contentEnd - (fenced[2] ?? '').length, contentEnd, end, fenced: true };
  }
  const legacy = new RegExp(`(^|\\n)## ${escapeRegex(spec.title)}[ \\t]*(?:\\n|$)`, 'i').exec(body);
  if (!legacy) return undefined;
  const start = legacy.index + (legacy[1] ?? '').length;
  const contentStart = legacy.index + legacy[0].length;
  const next = body.slice(contentStart).search(/(^|\n)## /);
  const end = next === -1 ? body.length : contentStart + next;
  return { start, contentStart, contentEnd: end, end, fenced: false };
}

/** The trimmed text of a section, or undefined when absent or empty. */
export function sectionText(body: string, spec: SectionSpec): string | undefined {
  const m = findSection(body, spec);
  if (!m) return undefined;
  const text = body.slice(m.contentStart, m.contentEnd).trim();
  return text || undefined;
}

/** Checklist items (`- [ ] #1 text`, `- [x] text`) of an AC or DoD section. */
export function checklistItems(body: string, spec: SectionSpec): Array<{ text: string; checked: boolean }> {
  const m = findSection(body, spec);
  if (!m) return [];
  const items: Array<{ text: string; checked: boolean }> = [];
  for (const line of body.slice(m.contentStart, m.contentEnd).split('\n')) {
    const item = /^\s*- \[([ xX])\] (?:#\d+ )?(.*\S)\s*$/.exec(line);
    if (item?.[2]) items.push({ text: item[2], checked: item[1] !== ' ' });
  }
  return items;
}

/** The body with every known section removed: what a person wrote outside the structure. */
export function freeText(body: string): string {
  let rest = body;
  for (const spec of Object.values(SECTIONS)) {
    for (let m = findSection(rest, spec); m; m = findSection(rest, spec)) {
      rest = `${rest.slice(0, m.start)}\n${rest.slice(m.end)}`;
    }
  }
  return rest.replace(/\n{3,}/g, '\n\n').trim();
}
