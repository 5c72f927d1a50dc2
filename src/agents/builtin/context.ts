import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { estimateTokens, type IndexedFile, type RepoIndex } from './repo-index.js';

export interface ContextFile {
  path: string;
  reason: 'named in task' | 'keyword match';
  score: number;
  tokens: number;
  truncated: boolean;
}

/** How much of the repository map made it in, from most to least detailed. */
export type MapDetail = 'full' | 'paths+some-symbols' | 'partial' | 'directories' | 'none';

export interface BuiltContext {
  /** Markdown to place in the first user message, after the task. */
  text: string;
  tokens: number;
  budgetTokens: number;
  keywords: string[];
  files: ContextFile[];
  /** Candidate files left out, most relevant first, and why. */
  omitted: Array<{ path: string; reason: string }>;
  map: { detail: MapDetail; filesListed: number; filesTotal: number };
}

export interface ContextOptions {
  /** Tokens this context may use (the task text and system prompt are budgeted separately). */
  budgetTokens: number;
  /** Largest share of the budget one file may take before it is cut. Default 0.35. */
  maxFileShare?: number;
  /** Share of the budget reserved for the map before files are chosen. Default 0.25. */
  mapShare?: number;
}

const STOPWORDS = new Set(
  'the and for with that this from into when then than them they have has had should would could must make made add adds added update updates use uses using file files code test tests new old not but are was were will can all any each every some such only also more most other into onto over under about after before while where which what there their these those been being does done just like need needs task implement support ensure change changes value values return returns true false null none string number list item items data type types function method class module page user users'.split(
    ' ',
  ),
);

/** Identifiers and words from the task that are likely to appear in relevant code. */
export function extractKeywords(text: string, max = 15): string[] {
  const weights = new Map<string, number>();
  for (const m of text.matchAll(/[A-Za-z_][A-Za-z0-9_]*(?:[.-][A-Za-z_][A-Za-z0-9_]*)*/g)) {
    for (const word of m[0].split(/[.-]/)) {
      const lower = word.toLowerCase();
      if (lower.length < 4 || STOPWORDS.has(lower)) continue;
      const codeLike = /[a-z][A-Z]|_|\d/.test(word) || /^[A-Z][a-z]+[A-Z]/.test(word);
      weights.set(lower, (weights.get(lower) ?? 0) + (codeLike ? 3 : 1));
    }
  }
  return [...weights.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, max)
    .map(([w]) => w);
}

/** Files whose path (or unique base name) the task text mentions. */
export function namedFiles(text: string, files: readonly IndexedFile[]): string[] {
  const out = new Set<string>();
  const byBase = new Map<string, string[]>();
  for (const f of files) {
    const base = path.posix.basename(f.rel);
    byBase.set(base, [...(byBase.get(base) ?? []), f.rel]);
    if (f.rel.includes('/') && text.includes(f.rel)) out.add(f.rel);
  }
  for (const m of text.matchAll(/[\w.-]+\.[A-Za-z0-9]{1,6}\b/g)) {
    const hits = byBase.get(m[0]);
    if (hits && hits.length <= 3) for (const h of hits) out.add(h);
  }
  return [...out];
}

function scoreFile(f: IndexedFile, keywords: readonly string[]): number {
  const p = f.rel.toLowerCase();
  const syms = f.symbols.join(' ').toLowerCase();
  let score = 0;
  for (const [i, kw] of keywords.entries()) {
    const w = 1 + (keywords.length - i) / keywords.length;
    if (p.includes(kw)) score += 3 * w;
    if (syms.includes(kw)) score += 2 * w;
    if (f.lower?.includes(kw)) score += w;
  }
  return score;
}

function fence(rel: string, text: string): string {
  const ticks = text.includes('```') ? '````' : '```';
  const lang = path.posix.extname(rel).slice(1);
  return `${ticks}${lang}\n${text}${text.endsWith('\n') ? '' : '\n'}${ticks}`;
}

/**
 * Builds the repository context for a task within a token budget. Rule when it does not fit:
 * the lowest-relevance files are dropped first (a single oversized file is cut to its head),
 * then the map loses detail (symbols → paths → relevant directories → directory counts).
 * Everything left out is listed in `omitted`/`map` so the caller can log it.
 */
export async function buildContext(
  index: RepoIndex,
  taskText: string,
  opts: ContextOptions,
): Promise<BuiltContext> {
  const budget = Math.max(0, Math.floor(opts.budgetTokens));
  const all = await index.scan();
  const keywords = extractKeywords(taskText);
  const named = new Set(namedFiles(taskText, all));
  const candidates = all
    .map((f) => ({ f, named: named.has(f.rel), score: named.has(f.rel) ? 1000 : scoreFile(f, keywords) }))
    .filter((c) => c.score > 0)
    .sort((a, b) => b.score - a.score || a.f.rel.length - b.f.rel.length || a.f.rel.localeCompare(b.f.rel));

  const maxFileTokens = Math.floor(budget * (opts.maxFileShare ?? 0.35));
  const mapReserve = Math.floor(budget * (opts.mapShare ?? 0.25));
  const files: ContextFile[] = [];
  const omitted: Array<{ path: string; reason: string }> = [];
  const sections: string[] = [];
  let used = 0;
  for (const c of candidates.slice(0, 200)) {
    if (!c.named && files.length >= 12) {
      omitted.push({ path: c.f.rel, reason: 'beyond the 12 most relevant files' });
      continue;
    }
    let text = await readFile(path.join(index.root, c.f.rel), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    let truncated = false;
    if (estimateTokens(text) > maxFileTokens) {
      text = `${text.slice(0, Math.max(0, maxFileTokens * 3))}\n[… truncated to fit the context budget; read the rest with read_file …]\n`;
      truncated = true;
    }
    const section = `### ${c.f.rel} (${c.named ? 'named in task' : 'keyword match'})\n${fence(c.f.rel, text)}\n`;
    const cost = estimateTokens(section);
    if (used + cost > budget - mapReserve) {
      omitted.push({ path: c.f.rel, reason: `did not fit the token budget (${cost} tokens)` });
      continue;
    }
    used += cost;
    sections.push(section);
    files.push({
      path: c.f.rel,
      reason: c.named ? 'named in task' : 'keyword match',
      score: Math.round(c.score * 10) / 10,
      tokens: cost,
      truncated,
    });
  }
  for (const c of candidates.slice(200)) omitted.push({ path: c.f.rel, reason: 'low relevance' });

  const relevance = new Map(candidates.map((c) => [c.f.rel, c.score]));
  const map = renderMap(all, relevance, budget - used);
  const text = [
    map.text ? `## Repository map\n${map.text}\n` : '',
    sections.length ? `## Relevant files\n${sections.join('\n')}` : '',
  ]
    .filter(Boolean)
    .join('\n');
  return {
    text,
    tokens: estimateTokens(text),
    budgetTokens: budget,
    keywords,
    files,
    omitted,
    map: { detail: map.detail, filesListed: map.listed, filesTotal: all.length },
  };
}

function renderMap(
  all: readonly IndexedFile[],
  relevance: ReadonlyMap<string, number>,
  allowance: number,
): { text: string; detail: MapDetail; listed: number } {
  const line = (f: IndexedFile, withSymbols: boolean) =>
    withSymbols && f.symbols.length ? `${f.rel}: ${f.symbols.join(', ')}` : f.rel;
  const fits = (s: string) => estimateTokens(s) + 8 <= allowance;
  const header = `${all.length} files.`;

  const full = [header, ...all.map((f) => line(f, true))].join('\n');
  if (fits(full)) return { text: full, detail: 'full', listed: all.length };

  // Paths for every file; symbols only for the most relevant ones while they fit.
  const ranked = [...all].sort((a, b) => (relevance.get(b.rel) ?? 0) - (relevance.get(a.rel) ?? 0));
  const pathsOnly = all.map((f) => f.rel);
  let cost = estimateTokens([header, ...pathsOnly].join('\n'));
  if (cost + 8 <= allowance) {
    const withSyms = new Set<string>();
    for (const f of ranked) {
      if (!f.symbols.length) continue;
      const extra = estimateTokens(`: ${f.symbols.join(', ')}`);
      if (cost + extra + 8 > allowance) break;
      cost += extra;
      withSyms.add(f.rel);
    }
    const text = [header, ...all.map((f) => line(f, withSyms.has(f.rel)))].join('\n');
    return { text, detail: 'paths+some-symbols', listed: all.length };
  }

  // Directory counts everywhere, full listings for the directories that hold relevant files.
  const dirCounts = new Map<string, number>();
  for (const f of all) {
    const d = topDirs(f.rel, 2);
    dirCounts.set(d, (dirCounts.get(d) ?? 0) + 1);
  }
  const dirsText = [...dirCounts.entries()].map(([d, n]) => `${d}/ (${n} files)`);
  const dirsOnly = [header, 'Directories:', ...dirsText].join('\n');
  if (!fits(dirsOnly)) {
    const top = [header, ...dirsText].join('\n');
    return fits(top)
      ? { text: top, detail: 'directories', listed: 0 }
      : { text: '', detail: 'none', listed: 0 };
  }
  // Relevant files with their symbols first, then their directory neighbours, then everything
  // else by path, for as long as the allowance lasts.
  const relevantDirs = new Set(
    ranked.filter((f) => relevance.get(f.rel)).map((f) => path.posix.dirname(f.rel)),
  );
  const order = [
    ...ranked.filter((f) => relevance.get(f.rel)),
    ...all.filter((f) => !relevance.get(f.rel) && relevantDirs.has(path.posix.dirname(f.rel))),
    ...all.filter((f) => !relevance.get(f.rel) && !relevantDirs.has(path.posix.dirname(f.rel))),
  ];
  const listed: string[] = [];
  cost = estimateTokens(dirsOnly) + 10;
  for (const f of order) {
    const l = line(f, Boolean(relevance.get(f.rel)));
    const c = estimateTokens(l) + 1;
    if (cost + c + 8 > allowance) break;
    cost += c;
    listed.push(l);
  }
  if (!listed.length) return { text: dirsOnly, detail: 'directories', listed: 0 };
  return {
    text: `${dirsOnly}\nFiles (most relevant first; ${all.length - listed.length} not listed):\n${listed.join('\n')}`,
    detail: 'partial',
    listed: listed.length,
  };
}

function topDirs(rel: string, depth: number): string {
  const parts = rel.split('/').slice(0, -1);
  return parts.length ? parts.slice(0, depth).join('/') : '.';
}
