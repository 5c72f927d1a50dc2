import { isMap, isScalar, LineCounter, parseDocument, visit } from 'yaml';
import { parseSimpleFrontmatter } from './frontmatter-fast.js';
import type { TaskProblem } from './types.js';

/** Where the pieces of a `---`-fenced Markdown file are. Lines are 1-based file lines. */
export type FrontmatterSplit =
  | { kind: 'ok'; yaml: string; yamlStartLine: number; closeLine: number; body: string }
  | { kind: 'none' }
  | { kind: 'unterminated' };

const FENCE = /^---[ \t]*\r?$/;
const CLOSE_FENCE = /^(?:---|\.\.\.)[ \t]*\r?$/;

/**
 * Splits a task file into frontmatter YAML and body. A UTF-8 BOM is tolerated, CRLF is
 * accepted (the YAML text handed back uses LF so parser offsets map to lines 1:1).
 */
export function splitFrontmatter(text: string): FrontmatterSplit {
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lines = src.split('\n');
  if (lines.length === 0 || !FENCE.test(lines[0] ?? '')) return { kind: 'none' };
  for (let i = 1; i < lines.length; i++) {
    if (CLOSE_FENCE.test(lines[i] ?? '')) {
      const yaml = lines
        .slice(1, i)
        .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
        .join('\n');
      return { kind: 'ok', yaml, yamlStartLine: 2, closeLine: i + 1, body: lines.slice(i + 1).join('\n') };
    }
  }
  return { kind: 'unterminated' };
}

/**
 * Quotes plain scalars that start with `@` (`assignee: @alice`, `- @bob`, `[@a, @b]`).
 * `@` is reserved in YAML, yet both the original template and Backlog.md users write it
 * bare; Backlog.md repairs it the same way before parsing. Line count is unchanged.
 */
export function quoteAtScalars(yaml: string): string {
  // Lines of a block scalar (`description: |`) are text, not YAML: never touch them.
  let blockIndent = -1;
  return yaml
    .split('\n')
    .map((line) => {
      const indent = /^\s*/.exec(line)?.[0].length ?? 0;
      if (blockIndent >= 0) {
        if (line.trim() === '' || indent > blockIndent) return line;
        blockIndent = -1;
      }
      if (/:\s*[|>][-+0-9]*\s*(?:#.*)?$/.test(line)) {
        blockIndent = indent;
        return line;
      }
      const flow = /^(\s*[\w-]+:\s*)\[(.*)\](\s*(?:#.*)?)$/.exec(line);
      if (flow && /(^|,)\s*@/.test(flow[2] ?? '')) {
        const items = (flow[2] ?? '').split(',').map((item) => {
          const t = item.trim();
          return t.startsWith('@') ? quoteDouble(t) : t;
        });
        return `${flow[1]}[${items.join(', ')}]${flow[3] ?? ''}`;
      }
      const scalar = /^(\s*(?:[\w-]+:|-)\s+)(@[^#]*?)(\s+#.*)?$/.exec(line);
      if (scalar) return `${scalar[1]}${quoteDouble(scalar[2] ?? '')}${scalar[3] ?? ''}`;
      return line;
    })
    .join('\n');
}

function quoteDouble(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A parsed frontmatter mapping with the file line of every top-level key. */
export interface ParsedFrontmatter {
  data: Record<string, unknown>;
  keyLines: Map<string, number>;
}

/**
 * Parses frontmatter YAML into a plain object. YAML errors become problems whose line is
 * the line in the FILE (`yamlStartLine` is where the YAML text begins, normally 2).
 * YAML 1.2 core schema: timestamps stay strings, `yes`/`no` stay strings.
 */
export function parseFrontmatterYaml(
  yaml: string,
  yamlStartLine: number,
): { ok: true; value: ParsedFrontmatter } | { ok: false; problems: TaskProblem[] } {
  // Plain `key: value` frontmatter (most task files) skips the YAML document parse.
  const simple = parseSimpleFrontmatter(yaml, yamlStartLine);
  if (simple) return { ok: true, value: simple };
  const lineCounter = new LineCounter();
  const doc = parseDocument(quoteAtScalars(yaml), { lineCounter, prettyErrors: false, uniqueKeys: true });
  const fileLine = (offset: number) => lineCounter.linePos(offset).line + yamlStartLine - 1;
  if (doc.errors.length > 0) {
    // An error that starts inside the span of the previous one is the parser losing its
    // footing after the first mistake; only independent errors are worth showing.
    const problems: TaskProblem[] = [];
    let lastEnd = 0;
    for (const err of doc.errors) {
      const line = fileLine(err.pos[0]);
      if (line <= lastEnd) continue;
      lastEnd = Math.max(line, fileLine(err.pos[1]));
      problems.push({
        message: `invalid YAML in frontmatter at line ${line}: ${firstLine(err.message)}`,
        line,
      });
    }
    return { ok: false, problems };
  }
  if (doc.contents === null) return { ok: true, value: { data: {}, keyLines: new Map() } };
  if (!isMap(doc.contents)) {
    const line = fileLine(doc.contents.range?.[0] ?? 0);
    return {
      ok: false,
      problems: [{ message: `frontmatter must be a mapping of "key: value" lines (line ${line})`, line }],
    };
  }
  const keyLines = new Map<string, number>();
  for (const pair of doc.contents.items) {
    if (isScalar(pair.key) && pair.key.range)
      keyLines.set(String(pair.key.value), fileLine(pair.key.range[0]));
  }
  let data: Record<string, unknown>;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as Record<string, unknown>;
  } catch (err) {
    // The yaml package refuses to expand an alias bomb ("billion laughs") by throwing; that
    // is a property of the file, so it is reported like any other YAML mistake.
    let offset: number | undefined;
    visit(doc, {
      Alias(_, node) {
        offset = node.range?.[0];
        return visit.BREAK;
      },
    });
    const line = fileLine(offset ?? 0);
    const why = /alias/i.test(String((err as Error).message))
      ? `its anchors and aliases (&x / *x) expand to too many values (a YAML alias bomb); write the values out instead`
      : firstLine(String((err as Error).message));
    return { ok: false, problems: [{ message: `invalid YAML in frontmatter: ${why}`, line }] };
  }
  return { ok: true, value: { data, keyLines } };
}

/** Alias expansions allowed per frontmatter: ordinary reuse of an anchor is far below it. */
const MAX_ALIAS_COUNT = 100;

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '').trim();
}
