import { parseDiff } from '../diff-parse.js';

/** One file's part of a unified diff, with the new-side line ranges its hunks cover. */
export interface DiffSection {
  /** Path after the change (the old one for a deletion). */
  path: string;
  /** Every name the headers give (rename sources included). */
  paths: string[];
  text: string;
  /** Inclusive new-side line ranges of the hunks; a finding's line must fall in one. */
  ranges: Array<[number, number]>;
  deleted: boolean;
}

/** A group of files sent in one review request. */
export interface DiffChunk {
  files: string[];
  text: string;
  /** Files whose diff was cut to fit, for the note in the report. */
  truncated: string[];
}

const HUNK = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/gm;

/** Splits git's diff at its `diff --git` headers; text before the first header (none from git) is dropped. */
export function splitDiff(diff: string): DiffSection[] {
  const starts = [...diff.matchAll(/^diff --git /gm)].map((m) => m.index ?? 0);
  const out: DiffSection[] = [];
  for (const [i, start] of starts.entries()) {
    const text = diff.slice(start, starts[i + 1] ?? diff.length);
    const [file] = parseDiff(text);
    if (!file) continue;
    const ranges: Array<[number, number]> = [];
    for (const m of text.matchAll(HUNK)) {
      const first = Number(m[1]);
      const count = m[2] === undefined ? 1 : Number(m[2]);
      if (count > 0) ranges.push([first, first + count - 1]);
    }
    out.push({ path: file.path, paths: file.paths, text, ranges, deleted: file.deleted });
  }
  return out;
}

/** Cuts `text` to at most `max` characters at a line end, with a note saying so. */
function truncate(section: DiffSection, max: number): string {
  const note = `\n[… diff of ${section.path} truncated: ${max} of ${section.text.length} characters shown]\n`;
  const room = Math.max(0, max - note.length);
  const cut = section.text.lastIndexOf('\n', room);
  return `${section.text.slice(0, cut > 0 ? cut : room)}${note}`;
}

/**
 * Groups the files of a diff into chunks of at most `maxChars` each, in diff order, so a
 * large change is reviewed in several requests that each fit the model's context. A single
 * file larger than a chunk is cut (and named in `truncated`): the model sees its start.
 */
export function chunkDiff(sections: readonly DiffSection[], maxChars: number): DiffChunk[] {
  const chunks: DiffChunk[] = [];
  let cur: DiffChunk | undefined;
  for (const s of sections) {
    const fits = s.text.length <= maxChars;
    const text = fits ? s.text : truncate(s, maxChars);
    if (!cur || cur.text.length + text.length > maxChars) {
      cur = { files: [], text: '', truncated: [] };
      chunks.push(cur);
    }
    cur.files.push(s.path);
    cur.text += text;
    if (!fits) cur.truncated.push(s.path);
  }
  return chunks;
}
