import { parse as parseYaml } from 'yaml';
import { findSection, SECTIONS } from './backlog-sections.js';
import { quoteAtScalars } from './frontmatter.js';

/** What the pipeline writes back into a Backlog.md task. */
export interface BacklogTaskChange {
  status?: string;
  addLabels?: string[];
  removeLabels?: string[];
  /** Appended to the Implementation Notes section (created where the CLI would put it). */
  appendNotes?: string;
  /** `YYYY-MM-DD HH:mm` as Backlog.md writes it; see `backlogTimestamp`. */
  updatedDate?: string;
}

/**
 * Backlog.md write-back that changes only what is asked and keeps every other byte: key
 * order, comments, unknown keys and sections, line endings (CRLF stays CRLF), a BOM.
 * Frontmatter edits replace or insert single keys, formatted as the CLI formats them;
 * notes go into `## Implementation Notes` exactly where `backlog task edit --append-notes`
 * puts them. `updateBacklogTask(t, {})` returns `t`. A file without frontmatter is
 * returned unchanged (there is nothing safe to edit).
 */
export function updateBacklogTask(text: string, change: BacklogTaskChange): string {
  const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
  const lines = (bom ? text.slice(1) : text).split(/(?<=\n)/);
  if (!/^---[ \t]*\r?\n$/.test(lines[0] ?? '')) return text;
  const close = lines.findIndex((l, i) => i > 0 && /^(?:---|\.\.\.)[ \t]*(\r?\n)?$/.test(l));
  if (close === -1) return text;
  const eol = (lines[0] ?? '').endsWith('\r\n') ? '\r\n' : '\n';

  const fm = new FrontmatterLines(lines.slice(1, close), eol);
  if (change.status !== undefined)
    fm.set('status', [`status: ${yamlScalar(change.status)}`], ['title', 'id']);
  if (change.updatedDate !== undefined) {
    fm.set(
      'updated_date',
      [`updated_date: ${yamlScalar(change.updatedDate)}`],
      ['created_date', 'reporter', 'assignee', 'status', 'title', 'id'],
    );
  }
  if (change.addLabels?.length || change.removeLabels?.length) {
    const current = fm.labels();
    const next = current && editLabels(current, change.addLabels ?? [], change.removeLabels ?? []);
    if (current && next && !sameList(current, next)) {
      fm.set('labels', yamlList('labels', next), [
        'updated_date',
        'created_date',
        'reporter',
        'assignee',
        'status',
      ]);
    }
  }

  let body = lines.slice(close + 1).join('');
  if (change.appendNotes?.trim()) body = appendNotes(body, change.appendNotes, eol);
  return `${bom}${lines[0]}${fm.lines.join('')}${lines[close]}${body}`;
}

/** Formats a Date the way Backlog.md stamps `created_date`/`updated_date` (UTC, minutes). */
export function backlogTimestamp(date: Date): string {
  return date.toISOString().slice(0, 16).replace('T', ' ');
}

/** Top-level keys of a frontmatter block as editable line ranges. */
class FrontmatterLines {
  constructor(
    readonly lines: string[],
    private readonly eol: string,
  ) {}

  /** [start, end) of the lines that belong to a top-level key (its value may span lines). */
  private range(key: string): [number, number] | undefined {
    const start = this.lines.findIndex((l) => new RegExp(`^${key}[ \\t]*:`).test(l));
    if (start === -1) return undefined;
    let end = start + 1;
    while (end < this.lines.length && /^(?:[ \t]+\S|-[ \t]|-\r?\n|-$)/.test(this.lines[end] ?? '')) end++;
    return [start, end];
  }

  /** Replaces a key's lines, or inserts them after the first present key of `after`. */
  set(key: string, newLines: string[], after: string[]): void {
    const withEol = newLines.map((l) => `${l}${this.eol}`);
    const own = this.range(key);
    if (own) {
      if (this.lines.slice(own[0], own[1]).join('') === withEol.join('')) return;
      this.lines.splice(own[0], own[1] - own[0], ...withEol);
      return;
    }
    for (const anchor of after) {
      const r = this.range(anchor);
      if (r) {
        this.lines.splice(r[1], 0, ...withEol);
        return;
      }
    }
    const last = this.lines.length - 1;
    if (last >= 0 && !/\n$/.test(this.lines[last] ?? '')) this.lines[last] += this.eol;
    this.lines.push(...withEol);
  }

  /** The labels as YAML reads them (flow `[a, b]`, block list, or one string); undefined if unreadable. */
  labels(): string[] | undefined {
    const r = this.range('labels');
    if (!r) return [];
    let value: unknown;
    try {
      value = parseYaml(quoteAtScalars(this.lines.slice(r[0], r[1]).join('').replace(/\r\n/g, '\n')));
    } catch {
      // Unreadable labels are left as they are rather than overwritten.
      return undefined;
    }
    const labels = (value as { labels?: unknown } | null)?.labels;
    if (Array.isArray(labels)) return labels.filter((l) => l !== null && l !== undefined).map(String);
    return typeof labels === 'string' && labels.trim() ? [labels.trim()] : [];
  }
}

function editLabels(current: string[], add: string[], remove: string[]): string[] {
  const gone = new Set(remove.map((l) => l.trim().toLowerCase()));
  const next = current.filter((l) => !gone.has(l.toLowerCase()));
  for (const label of add.map((l) => l.trim()).filter(Boolean)) {
    if (!next.some((l) => l.toLowerCase() === label.toLowerCase())) next.push(label);
  }
  return next;
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** `labels: []` or a block list indented by two, as the CLI (js-yaml) writes lists. */
function yamlList(key: string, items: string[]): string[] {
  if (items.length === 0) return [`${key}: []`];
  return [`${key}:`, ...items.map((item) => `  - ${yamlScalar(item)}`)];
}

/**
 * A YAML scalar written the way js-yaml (Backlog.md's writer) writes it: plain when that
 * reads back as the same string under YAML 1.1 and 1.2, else single-quoted, or
 * double-quoted when it holds line breaks. Hand-written because the `yaml` package's
 * plain-vs-quoted choices differ from js-yaml's, and byte-equal output is the point.
 */
export function yamlScalar(value: string): string {
  if (/[\n\r\t\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(value)) return JSON.stringify(value);
  const needsQuotes =
    value === '' ||
    /^\s|\s$/.test(value) ||
    /^[-?:,[\]{}#&*!|>'"%@`]/.test(value) ||
    // js-yaml quotes any colon (seen in CLI output: references like 'https://example.com').
    /:| #/.test(value) ||
    /^(?:true|false|yes|no|on|off|y|n|null|~)$/i.test(value) ||
    /^[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/.test(value) ||
    /^0[xob]/i.test(value) ||
    /^[-+]?\.(?:inf|nan)$/i.test(value) ||
    /^\d{4}-\d\d?-\d\d?/.test(value);
  return needsQuotes ? `'${value.replace(/'/g, "''")}'` : value;
}

/** Appends to Implementation Notes, or creates the section where the CLI would (1.52). */
function appendNotes(rawBody: string, note: string, eol: string): string {
  const crlf = eol === '\r\n';
  const body = crlf ? rawBody.replace(/\r\n/g, '\n') : rawBody;
  const text = note.replace(/\r\n/g, '\n').trim();
  const out = insertNotes(body, text);
  return crlf ? out.replace(/\n/g, '\r\n') : out;
}

function insertNotes(body: string, text: string): string {
  const notes = findSection(body, SECTIONS.notes);
  if (notes) {
    const existing = body.slice(notes.contentStart, notes.contentEnd);
    const kept = existing.trimEnd();
    const lead = kept.trim() ? `${kept}\n\n` : notes.fenced ? '' : '\n';
    // Fenced: the END marker sits on its own line. Legacy: keep the spacing before the next heading.
    const tail = notes.fenced ? '\n' : existing.slice(kept.length);
    return `${body.slice(0, notes.contentStart)}${lead}${text}${tail}${body.slice(notes.contentEnd)}`;
  }
  const block = `## ${SECTIONS.notes.title}\n\n${SECTIONS.notes.begin}\n${text}\n${SECTIONS.notes.end}`;
  for (const spec of [SECTIONS.plan, SECTIONS.definitionOfDone, SECTIONS.acceptanceCriteria]) {
    const m = findSection(body, spec);
    if (m) return insertAt(body, m.end, block);
  }
  for (const spec of [SECTIONS.comments, SECTIONS.finalSummary]) {
    const m = findSection(body, spec);
    if (m) return insertAt(body, m.start, block);
  }
  return insertAt(body, body.length, block);
}

/**
 * Puts a block at `pos` with one blank line either side, as the CLI joins sections. Only
 * blank lines around the spot are replaced; spaces at the end of a text line are kept.
 */
function insertAt(body: string, pos: number, block: string): string {
  const blankTail = /(?:\n[ \t]*)*$/;
  const before = body.slice(0, pos).replace(blankTail, '');
  const after = body.slice(pos).replace(/^(?:[ \t]*\n)*/, '');
  // Appending at the end keeps the file's own ending; an empty body ends with one newline as the CLI writes it.
  const trailing = after ? '' : body.trim() ? (blankTail.exec(body)?.[0] ?? '') : '\n';
  return `${before}${before.trim() ? '\n\n' : '\n'}${block}${after ? `\n\n${after}` : trailing}`;
}
