import { protectedPathReason, protectedWriteError } from './protected-paths.js';
import { type Sandbox, SandboxError } from './sandbox.js';

/** One change the model asked for. */
export type Edit =
  | { kind: 'replace'; path: string; search: string; replace: string }
  | { kind: 'write'; path: string; content: string };

export interface PlannedFile {
  rel: string;
  /** Content on disk before the change; undefined for a new file. */
  before: string | undefined;
  after: string;
}

export type EditPlan = { ok: true; files: PlannedFile[] } | { ok: false; errors: string[] };

/**
 * Validates a batch of edits and computes every resulting file in memory. Nothing is written
 * here; a batch with any error yields only errors, so the caller can never half-apply a reply.
 *
 * Matching is done on LF-normalised text (so a CRLF file matches a LF search block) and the
 * result is written back with the file's own line endings and BOM.
 */
export async function planEdits(sandbox: Sandbox, edits: Edit[]): Promise<EditPlan> {
  const errors: string[] = [];
  const byFile = new Map<string, Edit[]>();
  const resolved = new Map<string, { exists: boolean; raw: string | undefined; realRel: string }>();
  if (edits.length === 0) return { ok: false, errors: ['no edits given'] };

  for (const edit of edits) {
    try {
      const r = await sandbox.resolve(edit.path);
      if (r.rel === '.') throw new SandboxError('path names the repository root, not a file');
      const reason = protectedPathReason(r.rel) ?? protectedPathReason(r.realRel);
      if (reason) throw new SandboxError(reason);
      const list = byFile.get(r.rel) ?? [];
      list.push(edit);
      byFile.set(r.rel, list);
      if (!resolved.has(r.rel)) {
        const current = r.exists ? await sandbox.read(r.rel) : undefined;
        resolved.set(r.rel, { exists: r.exists, raw: current?.text, realRel: r.realRel });
      }
    } catch (err) {
      errors.push(`${edit.path}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (errors.length) return { ok: false, errors };

  const files: PlannedFile[] = [];
  for (const [rel, list] of byFile) {
    const state = resolved.get(rel)!;
    const result = planFile(rel, state.raw, list);
    if (typeof result === 'string') {
      errors.push(result);
      continue;
    }
    // The content check looks at both names: a symlink called `notes` may lead to `.gitattributes`.
    const refused =
      protectedWriteError(rel, result.before, result.after) ??
      protectedWriteError(state.realRel, result.before, result.after);
    if (refused) errors.push(refused);
    else files.push(result);
  }
  return errors.length ? { ok: false, errors } : { ok: true, files };
}

interface Shape {
  bom: boolean;
  crlf: boolean;
  text: string;
}

function shapeOf(raw: string): Shape {
  const bom = raw.startsWith('\uFEFF');
  const body = bom ? raw.slice(1) : raw;
  const crlfCount = (body.match(/\r\n/g) ?? []).length;
  const lfCount = (body.match(/\n/g) ?? []).length;
  return { bom, crlf: crlfCount > 0 && crlfCount * 2 >= lfCount, text: body.replace(/\r\n/g, '\n') };
}

function restore(shape: Shape, text: string): string {
  const body = shape.crlf ? text.replace(/\r?\n/g, '\r\n') : text;
  return (shape.bom ? '\uFEFF' : '') + body;
}

const lf = (s: string) => s.replace(/\r\n/g, '\n');

function planFile(rel: string, raw: string | undefined, list: Edit[]): PlannedFile | string {
  const writes = list.filter((e) => e.kind === 'write');
  if (writes.length > 1) return `${rel}: more than one whole-file block for the same file`;
  if (writes.length === 1 && list.length > 1) {
    return `${rel}: a whole-file block and search/replace edits for the same file in one reply; send one or the other`;
  }
  if (raw?.includes('\0')) return `${rel}: binary file, cannot be edited as text`;

  const write = writes[0];
  if (write?.kind === 'write') {
    const shape = raw === undefined ? { bom: false, crlf: false, text: '' } : shapeOf(raw);
    return { rel, before: raw, after: restore(shape, lf(write.content)) };
  }

  const replaces = list as Array<Extract<Edit, { kind: 'replace' }>>;
  if (raw === undefined) {
    if (replaces.length === 1 && lf(replaces[0]!.search).trim() === '') {
      return { rel, before: undefined, after: lf(replaces[0]!.replace) };
    }
    return `${rel}: file does not exist; to create it, use one block with an empty SEARCH section`;
  }

  const shape = shapeOf(raw);
  const ranges: Array<{ start: number; end: number; replace: string; index: number }> = [];
  for (const [index, edit] of replaces.entries()) {
    const search = lf(edit.search);
    if (search.trim() === '') {
      return `${rel}: edit ${index + 1} has an empty SEARCH but the file exists; quote the lines to replace`;
    }
    const found = locate(shape.text, search);
    if (found.kind === 'none') {
      return `${rel}: edit ${index + 1}: SEARCH text not found in the file${found.hint ? `; closest line: ${JSON.stringify(found.hint)}` : ''}. Copy the lines exactly as they are in the file.`;
    }
    if (found.kind === 'many') {
      return `${rel}: edit ${index + 1}: SEARCH text matches ${found.count} places; include more surrounding lines so it matches exactly once`;
    }
    ranges.push({
      start: found.start,
      end: found.end,
      replace: adaptReplace(search, lf(edit.replace)),
      index,
    });
  }
  ranges.sort((a, b) => a.start - b.start);
  for (let i = 1; i < ranges.length; i++) {
    const prev = ranges[i - 1]!;
    const cur = ranges[i]!;
    if (cur.start < prev.end) {
      return `${rel}: edits ${prev.index + 1} and ${cur.index + 1} overlap; merge them into one SEARCH/REPLACE block`;
    }
  }
  let out = '';
  let at = 0;
  for (const r of ranges) {
    out += shape.text.slice(at, r.start) + r.replace;
    at = r.end;
  }
  out += shape.text.slice(at);
  return { rel, before: raw, after: restore(shape, out) };
}

/** Keeps the trailing-newline relationship of SEARCH and REPLACE so a block never glues two lines. */
function adaptReplace(search: string, replace: string): string {
  if (search.endsWith('\n') && replace !== '' && !replace.endsWith('\n')) return `${replace}\n`;
  return replace;
}

type Located =
  | { kind: 'one'; start: number; end: number }
  | { kind: 'many'; count: number }
  | { kind: 'none'; hint?: string };

/**
 * Exact substring match first; when that fails, a line-wise match that ignores trailing
 * whitespace (the most common way small models mangle a quote). Both must be unique.
 */
function locate(text: string, search: string): Located {
  const exact = allIndexes(text, search);
  if (exact.length === 1) return { kind: 'one', start: exact[0]!, end: exact[0]! + search.length };
  if (exact.length > 1) return { kind: 'many', count: exact.length };

  const lines = text.split('\n');
  const starts: number[] = [];
  let pos = 0;
  for (const line of lines) {
    starts.push(pos);
    pos += line.length + 1;
  }
  const want = search
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => l.trimEnd());
  const hits: number[] = [];
  for (let i = 0; i + want.length <= lines.length; i++) {
    let ok = true;
    for (let j = 0; j < want.length && ok; j++) ok = lines[i + j]!.trimEnd() === want[j];
    if (ok) hits.push(i);
  }
  if (hits.length === 1) {
    const first = hits[0]!;
    const last = first + want.length - 1;
    const end =
      starts[last]! + lines[last]!.length + (search.endsWith('\n') && last < lines.length - 1 ? 1 : 0);
    return { kind: 'one', start: starts[first]!, end };
  }
  if (hits.length > 1) return { kind: 'many', count: hits.length };
  const firstWanted = want.find((l) => l.trim() !== '')?.trim();
  const hint = firstWanted ? lines.find((l) => l.includes(firstWanted.slice(0, 24))) : undefined;
  return hint ? { kind: 'none', hint: hint.trim().slice(0, 160) } : { kind: 'none' };
}

function allIndexes(text: string, needle: string): number[] {
  const out: number[] = [];
  for (let i = text.indexOf(needle); i !== -1 && out.length < 50; i = text.indexOf(needle, i + 1))
    out.push(i);
  return out;
}

/**
 * Writes a validated plan. Files are written one by one (each atomically); if a write fails,
 * the files already written are restored, so the worktree ends as it started.
 */
export async function applyPlan(sandbox: Sandbox, files: PlannedFile[]): Promise<string[]> {
  const done: PlannedFile[] = [];
  const changed = files.filter((f) => f.after !== f.before);
  try {
    for (const f of changed) {
      await sandbox.write(f.rel, f.after);
      done.push(f);
    }
  } catch (err) {
    for (const f of done.reverse()) {
      if (f.before === undefined) await sandbox.remove(f.rel).catch(() => undefined);
      else await sandbox.write(f.rel, f.before).catch(() => undefined);
    }
    throw err;
  }
  return changed.map((f) => f.rel);
}

/** Plans and, only if every edit is valid, applies. */
export async function applyEdits(
  sandbox: Sandbox,
  edits: Edit[],
): Promise<{ ok: true; changed: string[] } | { ok: false; errors: string[] }> {
  const plan = await planEdits(sandbox, edits);
  if (!plan.ok) return plan;
  try {
    return { ok: true, changed: await applyPlan(sandbox, plan.files) };
  } catch (err) {
    return {
      ok: false,
      errors: [`writing failed, nothing changed: ${err instanceof Error ? err.message : String(err)}`],
    };
  }
}
