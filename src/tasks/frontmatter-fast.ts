/*
 * A reader for the frontmatter most task files have (`key: word words`, `key: [a, b]`, and
 * `key:` followed by `- item` lines), about twenty times cheaper than a YAML document parse:
 * a start-up scan reads every file in the backlog. It accepts only text whose YAML meaning
 * is plain strings and lists of strings, and answers exactly what the YAML parser would.
 * Anything else (numbers, quotes, comments, block scalars, nesting, `@`, duplicate keys, a
 * character it does not know) is left to the parser: undefined.
 */

const KEY_LINE = /^([A-Za-z][A-Za-z0-9_-]*):(?:[ ]+(.*))?$/;
const ITEM_LINE = /^([ ]*)- (.*)$/;
/**
 * A plain scalar that YAML 1.2 reads as this very string: it starts with a letter (no
 * indicator, quote, number, `.inf`), holds no `#` (no comment), no `:` before a space or
 * at the end (no mapping; `qwen2.5-coder:7b` is fine), no character outside the list, and
 * does not end in a space.
 */
const PLAIN = /^[A-Za-z][A-Za-z0-9 _.,()/'!?+=%&*$:-]*$/;
const MAPPING_COLON = /:(?: |$)/;
/** In a flow sequence `,` and brackets end a scalar, so items may not contain them. */
const FLOW_ITEM = /^[A-Za-z][A-Za-z0-9 _.()/'!?+=%&*$-]*$/;
/** Core-schema words that are not strings. */
const NOT_STRING = /^(?:true|True|TRUE|false|False|FALSE|null|Null|NULL)$/;

const plain = (v: string): boolean =>
  PLAIN.test(v) && !v.endsWith(' ') && !MAPPING_COLON.test(v) && !NOT_STRING.test(v);

function flowItems(inner: string): string[] | undefined {
  if (inner.trim() === '') return [];
  const items: string[] = [];
  for (const raw of inner.split(',')) {
    const t = raw.trim();
    if (!FLOW_ITEM.test(t) || NOT_STRING.test(t)) return undefined;
    items.push(t);
  }
  return items;
}

/** The value of `key: <text>` (text trimmed on the left by the line pattern), or undefined. */
function inlineValue(text: string): string | string[] | undefined {
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) return undefined;
    return flowItems(text.slice(1, -1));
  }
  return plain(text) ? text : undefined;
}

/**
 * `yaml` read as a mapping of strings and lists of strings, with each key's file line, or
 * undefined when the text needs the YAML parser.
 */
export function parseSimpleFrontmatter(
  yaml: string,
  yamlStartLine: number,
): { data: Record<string, unknown>; keyLines: Map<string, number> } | undefined {
  if (yaml.includes('\t') || yaml.includes('@') || yaml.includes('\r')) return undefined;
  const data: Record<string, unknown> = {};
  const keyLines = new Map<string, number>();
  const lines = yaml.split('\n');
  /** The list of the last `key:` line with no value, while its items may follow. */
  let list: { key: string; items: string[]; indent: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    const item = ITEM_LINE.exec(line);
    if (item) {
      const indent = (item[1] as string).length;
      const value = item[2] as string;
      if (!list || (list.items.length > 0 && indent !== list.indent) || !plain(value)) return undefined;
      list.indent = indent;
      list.items.push(value);
      continue;
    }
    const kv = KEY_LINE.exec(line);
    if (!kv) return undefined;
    const key = kv[1] as string;
    if (NOT_STRING.test(key) || keyLines.has(key)) return undefined;
    if (list) data[list.key] = list.items.length > 0 ? list.items : null;
    list = undefined;
    keyLines.set(key, i + yamlStartLine);
    const text = kv[2];
    if (text === undefined || text === '') {
      list = { key, items: [], indent: 0 };
      continue;
    }
    const value = inlineValue(text);
    if (value === undefined) return undefined;
    data[key] = value;
  }
  if (list) data[list.key] = list.items.length > 0 ? list.items : null;
  // An empty document is null to the parser, not an empty mapping: let it say so.
  return keyLines.size > 0 ? { data, keyLines } : undefined;
}
