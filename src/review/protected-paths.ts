import { parseDiff } from './diff-parse.js';

/**
 * Paths and attributes an agent's change must never touch, because they change how git
 * itself behaves for the service or for the next person who clones the repository:
 *
 * - any path with a `.git` segment (the repository's own admin data, hooks, config);
 * - `.gitmodules` (submodule URLs git fetches on `--recursive`) and embedded repositories
 *   (gitlinks, mode 160000);
 * - `.lfsconfig` (git-lfs reads it from the work tree: an `lfs.url` sends credentials elsewhere);
 * - hook directories of hook managers (`.husky/`, `.githooks/`): installed by an ordinary
 *   `npm install`, they run on the next person's commit;
 * - `.gitattributes` lines that pick a diff, filter or merge driver or hide content from the
 *   diff: `diff`, `-diff`, `diff=…`, `filter=…`, `merge=…`, the `binary` macro, and any
 *   `[attr]` macro definition (it could stand for any of those). A filter runs a configured
 *   command on checkout; `-diff`/`binary` turned the secret scan blind ("Binary files differ").
 *   `text`, `-text`, `eol` and `linguist-*` pass: they change line endings or statistics, not
 *   what a `--text` diff shows.
 *
 * Paths are compared case-insensitively (`.GIT`, `.GitModules`): on a case-insensitive file
 * system of a later clone they are the same file.
 */

/** Folder names whose content is a hook script somebody's tooling will run. */
export const HOOK_DIRECTORIES: readonly string[] = ['.husky', '.githooks'];

/** File names (any folder) whose change is refused outright. */
const PROTECTED_FILES: readonly string[] = ['.gitmodules', '.lfsconfig'];

/** Attribute names that choose a driver or hide content from the diff. */
const DRIVER_ATTRIBUTES: readonly string[] = ['diff', 'filter', 'merge', 'binary'];

/**
 * Returns one human-readable message per protected path or attribute that a staged unified
 * diff (from `Workspace.diff`: `--text --no-renames`) touches; an empty list when none.
 */
export function protectedPathViolations(diff: string): string[] {
  const out: string[] = [];
  for (const f of parseDiff(diff)) {
    for (const p of f.paths) {
      const reason = protectedPathReason(p);
      if (reason) out.push(`${p}: ${reason}`);
    }
    if (f.gitlink) out.push(`${f.path || '?'}: an embedded repository (gitlink) may not be added or changed`);
    const attrs = f.paths.filter(isGitattributes);
    const name = attrs[attrs.length - 1];
    if (name === undefined) continue;
    if (f.binary || f.moved) {
      out.push(`${name}: .gitattributes changed without its content in the diff (rename, copy or binary)`);
    }
    for (const { text } of f.added) {
      const bad = driverAttribute(text);
      if (bad)
        out.push(`${name}: "${text.trim()}" sets ${bad}; diff, filter and merge drivers may not change`);
    }
  }
  return out;
}

/** Whether `p` names a `.gitattributes` file (any folder, any case). */
export function isGitattributes(p: string): boolean {
  return baseName(p) === '.gitattributes';
}

function baseName(p: string): string {
  return (p.split('/').pop() ?? '').toLowerCase();
}

/** Why a change to path `p` (relative, `/`-separated) is refused, or undefined when it may change. */
export function protectedPathReason(p: string): string | undefined {
  const segments = p.toLowerCase().split('/');
  // `.git.` and `git~1` are the same folder on Windows file systems (NTFS trailing dots, 8.3 names).
  if (segments.some((s) => /^\.git[. ]*$/.test(s) || s === 'git~1'))
    return "git's own data (.git) may not be changed";
  const base = segments[segments.length - 1] ?? '';
  if (PROTECTED_FILES.includes(base)) return `${base} may not be changed`;
  const hookDir = segments.slice(0, -1).find((s) => HOOK_DIRECTORIES.includes(s));
  if (hookDir) return `hook scripts (${hookDir}/) may not be changed`;
  return undefined;
}

/** The offending attribute of one `.gitattributes` line, or undefined when the line is harmless. */
export function driverAttribute(line: string): string | undefined {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return undefined;
  if (text.startsWith('[attr]')) return 'a macro attribute ([attr])';
  // The first field is the pattern (possibly quoted); the rest are attributes.
  const fields = text.startsWith('"')
    ? text
        .replace(/^"(?:[^"\\]|\\.)*"/, '')
        .trim()
        .split(/\s+/)
    : text.split(/\s+/).slice(1);
  for (const field of fields) {
    const name = field.replace(/^[-!]/, '').split('=')[0]?.toLowerCase() ?? '';
    if (DRIVER_ATTRIBUTES.includes(name)) return `"${field}"`;
  }
  return undefined;
}
