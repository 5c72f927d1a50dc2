import { basename } from 'node:path';

/**
 * Extracts the task id from a task file name with `taskIdFormat.extractRegex`
 * (`task-(\d+)` by default): `'task-42 - Add auth.md'` → `'42'`.
 *
 * The first capture group is the id; a regex without groups yields the whole match.
 * The regex is tried as written first and then case-insensitively, because users and
 * tools disagree on case (`Task-7 - x.md`, Backlog.md's `TASK-7` ids).
 * Returns `undefined` when the name carries no id or the regex is invalid.
 */
export function taskIdFromFileName(fileName: string, extractRegex: string): string | undefined {
  const name = basename(fileName);
  let exact: RegExp;
  let loose: RegExp;
  try {
    exact = new RegExp(extractRegex);
    loose = new RegExp(extractRegex, 'i');
  } catch {
    return undefined;
  }
  const match = exact.exec(name) ?? loose.exec(name);
  if (!match) return undefined;
  const id = (match.length > 1 ? match[1] : match[0])?.trim();
  return id ? id : undefined;
}

/**
 * Normalises a dependency reference to a bare id: `task-7`, `TASK-7`, `7` and `7.0`-free
 * numbers all become `'7'`; Backlog.md subtask ids keep their dot (`task-3.1` → `'3.1'`).
 * Anything else is returned trimmed, so an unusual id still matches itself.
 */
export function normalizeTaskRef(ref: string | number): string {
  const text = String(ref).trim();
  const prefixed = /^[A-Za-z][A-Za-z_]*-(\d+(?:\.\d+)*)$/.exec(text);
  if (prefixed?.[1]) return prefixed[1];
  return text;
}

/** Characters that are unsafe in file names on at least one of Linux, macOS or Windows. */
const UNSAFE_FILE_CHARS = /[<>:"/\\|?*\u0000-\u001f\u007f]/g;
const MAX_TITLE_CHARS = 80;

/**
 * File name for a task in the original layout: `taskFileName('5', 'Add user authentication')`
 * → `'task-5 - Add user authentication.md'`; `pattern` is `taskIdFormat.pattern` (`{id}` is the id). Characters that break on some file system are
 * dropped, whitespace collapsed, Unicode kept, and the title part capped at 80 characters so
 * the full path stays well under Windows' limits.
 */
export function taskFileName(id: string, title: string, pattern = 'task-{id}'): string {
  const name = pattern.replaceAll('{id}', id).replace(UNSAFE_FILE_CHARS, '-');
  let safe = title.replace(UNSAFE_FILE_CHARS, ' ').replace(/\s+/g, ' ').trim();
  if ([...safe].length > MAX_TITLE_CHARS) safe = [...safe].slice(0, MAX_TITLE_CHARS).join('').trim();
  // Windows refuses names ending in a dot or space.
  safe = safe.replace(/[. ]+$/, '');
  return safe ? `${name} - ${safe}.md` : `${name}.md`;
}
