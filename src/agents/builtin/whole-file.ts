/*
 * Recognising whole-file blocks in a text reply: a fenced block whose target file is named by
 * the line above it or by the fence's info string. Small models produce many spellings of this
 * (Aider's "whole" format is the common one: the path alone on a line, then the fence), and a
 * reply whose edit we fail to see is worse than one we reject, because the model believes it is
 * done. A block with no path named is prose (an example), never an edit.
 */

/** An opening (or closing) fence line: its character, length, indentation and info string. */
export interface Fence {
  char: '`' | '~';
  length: number;
  indent: number;
  info: string;
}

const FENCE_LINE = /^(\s*)(`{3,}|~{3,})([^`]*)$/;

/** The fence on `line`, if it is one. Backtick fences cannot carry backticks in the info string. */
export function parseFence(line: string): Fence | undefined {
  const m = FENCE_LINE.exec(line);
  if (!m) return undefined;
  const marks = m[2]!;
  return { char: marks[0] as '`' | '~', length: marks.length, indent: m[1]!.length, info: m[3]!.trim() };
}

/** True when `line` closes `open` (same character, at least as long, nothing after it). */
export function closesFence(line: string, open: Fence): boolean {
  const f = parseFence(line);
  return f !== undefined && f.char === open.char && f.length >= open.length && f.info === '';
}

/** Index of the line closing the fence opened at `at`, or -1. */
export function findClose(lines: readonly string[], at: number, open: Fence): number {
  for (let k = at + 1; k < lines.length; k++) if (closesFence(lines[k]!, open)) return k;
  return -1;
}

/**
 * Whether `s` looks like a file path a model means: no spaces, no URL, no shell or glob
 * characters, at least one letter, and a slash or a file extension (`.txt`, `.gitignore`).
 * `labelled` (the model wrote `FILE:`, `Path:` or `path=`) drops the slash-or-extension rule,
 * so `FILE: Makefile` works. Deliberately permissive about `..` and absolute paths: those are
 * still paths, and the sandbox refuses them with a message the model can act on, instead of
 * the reply being silently read as prose.
 */
export function looksLikePath(s: string, labelled = false): boolean {
  if (!s || s.length > 300 || /\s/.test(s)) return false;
  if (s.includes('://') || /^www\./i.test(s) || /^mailto:/i.test(s)) return false;
  if (/[<>|"'`*?{}$;:,()=!]/.test(s)) return false;
  const norm = s.replace(/\\/g, '/');
  if (!/[A-Za-z]/.test(norm)) return false;
  const base = norm.split('/').pop() ?? '';
  if (labelled) return base !== '';
  const hasExtension = /\.[A-Za-z0-9_+-]*[A-Za-z][A-Za-z0-9_+-]*$/.test(base);
  return hasExtension || (norm.includes('/') && base !== '');
}

/** Keys that, in an info string, name the file: ```` ```python path=src/a.py ````. */
const INFO_KEY = /^(?:path|file|filename|title|name)=(.*)$/i;

/**
 * The path named by a fence's info string: ```` ```hello.txt ````, ```` ```python hello.txt ````,
 * ```` ```txt:hello.txt ````, ```` ```path=hello.txt ```` or `file="…"`. A bare language is not one.
 */
export function pathFromInfo(info: string): string | undefined {
  for (const token of info.split(/\s+/).filter(Boolean)) {
    const kv = INFO_KEY.exec(token);
    let t = kv ? kv[1]! : token;
    t = t.replace(/^["']+|["']+$/g, '');
    if (!kv && t.includes(':') && !t.includes('://')) t = t.slice(t.indexOf(':') + 1);
    if (looksLikePath(t, Boolean(kv))) return t;
  }
  return undefined;
}

/** A header line's path, and whether the line was marked as a header (not just a bare path). */
export interface Header {
  path: string;
  /** `FILE:`, `Path:`, `### `, `**…**` or a trailing colon: allows one blank line before the fence. */
  marked: boolean;
}

const LABEL = /^(?:file(?:name)?|path)\s*:\s*\**\s*/i;

/**
 * Reads a header line: a bare path, `path:`, `File: path`, `Path: path`, `Filename: path`,
 * `### path`, `**path**`, `` `path` ``, a list item `- path`, and combinations of these.
 */
export function pathFromHeader(line: string): Header | undefined {
  let s = line.trim();
  let marked = false;
  s = s.replace(/^(?:>\s*)+/, '').replace(/^(?:[-+*]|\d+[.)])\s+/, '');
  if (/^#{1,6}\s/.test(s)) {
    marked = true;
    s = s.replace(/^#+\s*/, '');
  }
  if (s.startsWith('**')) marked = true;
  s = s.replace(/^\*+\s*/, '');
  const labelled = LABEL.test(s);
  if (labelled) {
    marked = true;
    s = s.replace(LABEL, '');
  }
  for (let before = ''; before !== s; ) {
    before = s;
    if (s.endsWith(':')) marked = true;
    s = s.replace(/:+$/, '').replace(/^[*`'"]+|[*`'"]+$/g, '');
  }
  return looksLikePath(s, labelled) ? { path: s, marked } : undefined;
}

/** What the fence at a given line is. */
export type FencedBlock =
  | { kind: 'write'; path: string; content: string; end: number }
  /** Not a whole-file block (no path, or SEARCH blocks inside): `end` is its closing line or -1. */
  | { kind: 'other'; end: number }
  | { kind: 'error'; message: string; end: number };

const SEARCH_MARK = /^\s*<{5,9} ?SEARCH\s*$/;
const UNIFIED_DIFF = /^(?:diff --git |--- |\+\+\+ |@@ )/;

/**
 * Classifies the fenced block opened at `lines[at]`. Its path comes from the line above (or the
 * one above a single blank line, for a marked header) and from the info string; when both name
 * a file they must agree. The content loses the fence's own indentation (a block in a list item).
 */
export function readFencedBlock(lines: readonly string[], at: number, open: Fence): FencedBlock {
  const end = findClose(lines, at, open);
  const body = lines.slice(at + 1, end === -1 ? lines.length : end);
  if (body.some((l) => SEARCH_MARK.test(l))) return { kind: 'other', end };
  const fromInfo = pathFromInfo(open.info);
  const fromHeader = headerAbove(lines, at);
  const path = fromHeader ?? fromInfo;
  if (!path) return { kind: 'other', end };
  if (fromInfo && fromHeader && fromInfo !== fromHeader) {
    return {
      kind: 'error',
      message: `line ${at + 1}: the block names two files (${fromHeader} above it, ${fromInfo} on the fence); name one`,
      end,
    };
  }
  if (end === -1) {
    const marks = open.char.repeat(open.length);
    return {
      kind: 'error',
      message: `${path}: the fenced block is not closed (expected a line ${marks})`,
      end,
    };
  }
  const firstLine = body.find((l) => l.trim() !== '') ?? '';
  if (/^(?:diff|patch)$/i.test(open.info.split(/\s+/)[0] ?? '') || UNIFIED_DIFF.test(firstLine.trim())) {
    return {
      kind: 'error',
      message: `${path}: unified diffs are not applied; send SEARCH/REPLACE blocks or the complete file`,
      end,
    };
  }
  const dedent = new RegExp(`^ {0,${open.indent}}`);
  const content = body.map((l) => l.replace(dedent, ''));
  return { kind: 'write', path, content: content.length ? `${content.join('\n')}\n` : '', end };
}

function headerAbove(lines: readonly string[], at: number): string | undefined {
  const prev = lines[at - 1];
  if (prev === undefined) return undefined;
  if (prev.trim() !== '') return pathFromHeader(prev)?.path;
  const header = at >= 2 ? pathFromHeader(lines[at - 2]!) : undefined;
  return header?.marked ? header.path : undefined;
}
