import type { ParsedFrontmatter } from './frontmatter.js';
import { normalizeTaskRef } from './ids.js';
import type { Priority, TaskProblem } from './types.js';

export const PRIORITIES: readonly Priority[] = ['high', 'medium', 'low'];

/**
 * Reads typed fields out of a parsed frontmatter mapping and records one problem per bad
 * field, naming the field and its file line, so a user sees every mistake at once.
 */
export class FieldReader {
  readonly problems: TaskProblem[] = [];

  constructor(private readonly fm: ParsedFrontmatter) {}

  has(key: string): boolean {
    return this.fm.data[key] !== undefined && this.fm.data[key] !== null;
  }

  raw(key: string): unknown {
    return this.fm.data[key];
  }

  line(key: string): number | undefined {
    return this.fm.keyLines.get(key);
  }

  problem(key: string, message: string): void {
    const line = this.line(key);
    this.problems.push({ message: line ? `${message} (line ${line})` : message, field: key, line });
  }

  /** Optional string; numbers and booleans are written back as text, empty means absent. */
  string(key: string): string | undefined {
    const value = this.raw(key);
    if (value === undefined || value === null) return undefined;
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'string') return value.trim() === '' ? undefined : value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    this.problem(key, `${key} must be text, not a ${describe(value)}`);
    return undefined;
  }

  /** Required non-empty text (`title`). */
  requiredString(key: string, example: string): string {
    const value = this.raw(key);
    if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
      const hint = `add a line like "${key}: ${example}" to the frontmatter`;
      this.problems.push({
        message: this.line(key)
          ? `${key} is empty (line ${this.line(key)}): ${hint}`
          : `${key} is required: ${hint}`,
        field: key,
        line: this.line(key),
      });
      return '';
    }
    return (this.string(key) ?? '').trim();
  }

  /** A list of text items; a single scalar counts as one item, absent/empty as none. */
  list(key: string): string[] {
    const value = this.raw(key);
    if (value === undefined || value === null) return [];
    if (typeof value === 'string') return value.trim() === '' ? [] : [value.trim()];
    if (typeof value === 'number') return [String(value)];
    if (!Array.isArray(value)) {
      this.problem(key, `${key} must be a list (lines starting with "- "), not a ${describe(value)}`);
      return [];
    }
    const items: string[] = [];
    value.forEach((item, index) => {
      if (item === null || item === undefined) return;
      if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') {
        const text = String(item).trim();
        if (text) items.push(text);
        return;
      }
      this.problem(key, `${key} item ${index + 1} must be text, not a ${describe(item)}`);
    });
    return items;
  }

  /** Dependencies as bare ids (`task-7` → `7`), duplicates removed. */
  dependencies(key: string): string[] {
    return [...new Set(this.list(key).map(normalizeTaskRef))];
  }

  /** high | medium | low, case-insensitive; absent → medium. */
  priority(key: string): Priority {
    const value = this.raw(key);
    if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
      return 'medium';
    }
    const text = String(value).trim().toLowerCase();
    if ((PRIORITIES as readonly string[]).includes(text)) return text as Priority;
    this.problem(key, `${key} "${String(value)}" is not allowed: use one of high, medium, low`);
    return 'medium';
  }

  /** Optional finite non-negative number; numeric text is accepted. */
  number(key: string): number | undefined {
    const value = this.raw(key);
    if (value === undefined || value === null || value === '') return undefined;
    const n =
      typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
    if (!Number.isFinite(n) || n < 0) {
      this.problem(key, `${key} must be a number of 0 or more, not "${String(value)}"`);
      return undefined;
    }
    return n;
  }

  /** A timestamp kept as text; YAML 1.1 parsers (and hand edits) may hand us a Date. */
  timestamp(key: string): string | undefined {
    const value = this.raw(key);
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
    return this.string(key)?.trim();
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'list';
  if (value instanceof Date) return 'date';
  if (typeof value === 'object' && value !== null) return 'mapping';
  return typeof value;
}
