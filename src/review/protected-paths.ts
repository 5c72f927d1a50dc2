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

interface FileDiff {
  paths: Set<string>;
  /** Lines the change adds to this file (without the leading `+`). */
  added: string[];
  /** The file's content is not in the diff (a rename or copy, or a binary patch). */
  contentHidden: boolean;
  gitlink: boolean;
}

/**
 * Returns one human-readable message per protected path or attribute that a staged unified
 * diff (from `Workspace.diff`: `--text --no-renames`) touches; an empty list when none.
 */
export function protectedPathViolations(diff: string): string[] {
  const out: string[] = [];
  for (const f of parseFiles(diff)) {
    const paths = [...f.paths];
    for (const p of paths) {
      const reason = pathReason(p);
      if (reason) out.push(`${p}: ${reason}`);
    }
    if (f.gitlink)
      out.push(`${paths[0] ?? '?'}: an embedded repository (gitlink) may not be added or changed`);
    const attrs = paths.filter((p) => baseName(p) === '.gitattributes');
    if (attrs.length === 0) continue;
    const name = attrs[attrs.length - 1];
    if (f.contentHidden) {
      out.push(`${name}: .gitattributes changed without its content in the diff (rename, copy or binary)`);
    }
    for (const line of f.added) {
      const bad = driverAttribute(line);
      if (bad)
        out.push(`${name}: "${line.trim()}" sets ${bad}; diff, filter and merge drivers may not change`);
    }
  }
  return out;
}

function baseName(p: string): string {
  return (p.split('/').pop() ?? '').toLowerCase();
}

function pathReason(p: string): string | undefined {
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
function driverAttribute(line: string): string | undefined {
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

/** Splits a unified diff into files, with every path a header names. */
function parseFiles(diff: string): FileDiff[] {
  const files: FileDiff[] = [];
  let cur: FileDiff | undefined;
  let inHunk = false;
  for (const raw of diff.split('\n')) {
    if (raw.startsWith('diff --git ')) {
      cur = { paths: new Set(), added: [], contentHidden: false, gitlink: false };
      files.push(cur);
      inHunk = false;
      for (const p of headerPaths(raw.slice('diff --git '.length))) cur.paths.add(p);
      continue;
    }
    if (!cur) continue;
    if (inHunk) {
      if (raw.startsWith('+')) {
        cur.added.push(raw.slice(1));
        continue;
      }
      if (raw.startsWith(' ') || raw.startsWith('-') || raw.startsWith('\\') || raw.startsWith('@@'))
        continue;
      inHunk = false;
    }
    if (raw.startsWith('@@')) {
      inHunk = true;
      continue;
    }
    const named = /^(?:--- |\+\+\+ |rename from |rename to |copy from |copy to )(.*)$/.exec(raw);
    if (named?.[1] !== undefined) {
      // git ends a ---/+++ name that contains a space with a tab (so the name's end is clear).
      const p = unquote(/^(?:---|\+\+\+) /.test(raw) ? named[1].replace(/\t$/, '') : named[1]);
      if (p !== '/dev/null') cur.paths.add(/^(?:---|\+\+\+) /.test(raw) ? p.replace(/^[ab]\//, '') : p);
      if (/^(?:rename|copy) to /.test(raw)) cur.contentHidden = true;
      continue;
    }
    if (raw.startsWith('GIT binary patch') || /^Binary files .* differ$/.test(raw)) cur.contentHidden = true;
    if (
      /^(?:new file mode|deleted file mode|new mode|old mode) 160000$/.test(raw) ||
      /^index \S+ 160000$/.test(raw)
    ) {
      cur.gitlink = true;
    }
  }
  return files;
}

/**
 * Paths of a `diff --git` header. Unquoted headers with spaces are ambiguous in general, but
 * without renames both sides are the same path, which fixes the split; every candidate is
 * returned, so a protected path is never missed because of the split.
 */
function headerPaths(rest: string): string[] {
  if (rest.startsWith('"')) {
    const m = /^("(?:[^"\\]|\\.)*"|\S+) ("(?:[^"\\]|\\.)*"|\S+)$/.exec(rest);
    return m ? [m[1], m[2]].map((s) => unquote(s ?? '').replace(/^[ab]\//, '')) : [rest];
  }
  const n = (rest.length - 5) / 2;
  if (Number.isInteger(n) && rest.startsWith('a/') && rest.slice(2 + n) === ` b/${rest.slice(2, 2 + n)}`) {
    return [rest.slice(2, 2 + n)];
  }
  // A rename (different sides): the rename lines name both; keep the raw halves as a fallback.
  const mid = rest.indexOf(' b/');
  return mid > 0 ? [rest.slice(0, mid).replace(/^a\//, ''), rest.slice(mid + 3)] : [rest];
}

/** Undoes git's C-style quoting of unusual paths ("a/\303\251\t.git"). */
function unquote(s: string): string {
  if (!(s.startsWith('"') && s.endsWith('"') && s.length >= 2)) return s;
  const bytes: number[] = [];
  const body = s.slice(1, -1);
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '"': 34, '\\': 92 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = body[i + 1] ?? '';
    const oct = /^[0-7]{3}/.exec(body.slice(i + 1));
    if (oct) {
      bytes.push(Number.parseInt(oct[0], 8));
      i += 3;
    } else {
      bytes.push(simple[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
