/**
 * Reading git's unified diffs, shared by the secret scan and the
 * protected-path check (both read the staged diff of `Workspace.diff`).
 */

/** Undoes git's C-style quoting of unusual paths (`"a/\303\251\t.git"`); other text is returned as is. */
export function unquotePath(s: string): string {
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

/** The path of a `--- a/x` / `+++ b/x` line (without prefix, quoting, or the tab git adds after a name with spaces). */
export function markerPath(rest: string): string {
  const p = unquotePath(rest.replace(/\t$/, ''));
  return p === '/dev/null' ? p : p.replace(/^[ab]\//, '');
}

/**
 * Paths of a `diff --git` header (the text after `diff --git `). Unquoted headers with spaces
 * are ambiguous in general, but without renames both sides are the same path, which fixes
 * the split; otherwise both halves are returned, so no candidate is missed.
 */
export function headerPaths(rest: string): string[] {
  if (rest.startsWith('"')) {
    const m = /^("(?:[^"\\]|\\.)*"|\S+) ("(?:[^"\\]|\\.)*"|\S+)$/.exec(rest);
    return m ? [m[1], m[2]].map((s) => unquotePath(s ?? '').replace(/^[ab]\//, '')) : [rest];
  }
  const n = (rest.length - 5) / 2;
  if (Number.isInteger(n) && rest.startsWith('a/') && rest.slice(2 + n) === ` b/${rest.slice(2, 2 + n)}`) {
    return [rest.slice(2, 2 + n)];
  }
  const mid = rest.indexOf(' b/');
  return mid > 0 ? [rest.slice(0, mid).replace(/^a\//, ''), rest.slice(mid + 3)] : [rest];
}

/** One file of a unified diff, as the scan and the protected-path check need it. */
export interface DiffFile {
  /** Every name the headers give (both sides of a rename or copy), without a/ b/ prefixes. */
  paths: string[];
  /** The name after the change (`+++` side); the old name for a deletion. */
  path: string;
  /** Lines the change adds, with their line number in the new file. */
  added: { line: number; text: string }[];
  /** Added content is not in the diff: "Binary files … differ" or a binary patch. */
  binary: boolean;
  /** The file was renamed or copied: content it carried over is not in the diff. */
  moved: boolean;
  /** The new side is /dev/null. */
  deleted: boolean;
  /** A gitlink (mode 160000): an embedded repository or submodule. */
  gitlink: boolean;
}

const HUNK = /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/**
 * Parses a unified diff (git's, or a plain `diff -u`). Hunk bodies are read by their line
 * counts, so an added line that looks like a header (`+++ b/x`, `diff --git`) is still an added
 * line; a blank line inside a hunk is context (`diff.suppressBlankEmpty`). Outside a hunk, a
 * `+` line that is no `+++ ` header counts as added too: a malformed diff must not hide content.
 */
export function parseDiff(diff: string): DiffFile[] {
  const files: DiffFile[] = [];
  let cur: DiffFile | undefined;
  let sawHunk = false;
  let remOld = 0;
  let remNew = 0;
  let line = 0;
  const start = (paths: string[]): DiffFile => {
    cur = { paths: [], path: '', added: [], binary: false, moved: false, deleted: false, gitlink: false };
    for (const p of paths) addPath(cur, p);
    cur.path = cur.paths[cur.paths.length - 1] ?? '';
    files.push(cur);
    sawHunk = false;
    return cur;
  };
  for (const raw of diff.split('\n')) {
    if (remOld > 0 || remNew > 0) {
      const f = cur ?? start([]);
      const c = raw[0];
      if (c === '+') {
        f.added.push({ line: line++, text: raw.slice(1) });
        remNew--;
        continue;
      }
      if (c === '-') {
        remOld--;
        continue;
      }
      if (c === ' ' || raw === '') {
        remOld--;
        remNew--;
        line++;
        continue;
      }
      if (c === '\\') continue;
      remOld = 0;
      remNew = 0;
    }
    if (raw.startsWith('diff --git ')) {
      start(headerPaths(raw.slice('diff --git '.length)));
      continue;
    }
    const hunk = HUNK.exec(raw);
    if (hunk) {
      cur ??= start([]);
      sawHunk = true;
      remOld = hunk[1] === undefined ? 1 : Number(hunk[1]);
      remNew = hunk[3] === undefined ? 1 : Number(hunk[3]);
      line = Number(hunk[2]);
      continue;
    }
    if (raw.startsWith('--- ') || raw.startsWith('+++ ')) {
      if (!cur || (sawHunk && raw.startsWith('--- '))) start([]);
      const f = cur as unknown as DiffFile;
      const p = markerPath(raw.slice(4));
      if (p === '/dev/null') {
        if (raw.startsWith('+++ ')) f.deleted = true;
      } else {
        addPath(f, p);
        if (raw.startsWith('+++ ') || !f.path) f.path = p;
      }
      continue;
    }
    if (!cur) continue;
    const named = /^(rename|copy) (from|to) (.*)$/.exec(raw);
    if (named?.[3] !== undefined) {
      const p = unquotePath(named[3]);
      addPath(cur, p);
      if (named[2] === 'to') {
        cur.path = p;
        cur.moved = true;
      }
      continue;
    }
    if (raw.startsWith('GIT binary patch') || /^Binary files .* differ$/.test(raw)) {
      cur.binary = cur.binary || !/ and \/dev\/null differ$/.test(raw);
      continue;
    }
    if (
      /^(?:new file mode|deleted file mode|new mode|old mode) 160000$/.test(raw) ||
      /^index \S+ 160000$/.test(raw)
    ) {
      cur.gitlink = true;
      continue;
    }
    if (raw.startsWith('+')) cur.added.push({ line: 0, text: raw.slice(1) });
  }
  return files;
}

function addPath(f: DiffFile, p: string): void {
  if (p && !f.paths.includes(p)) f.paths.push(p);
}
