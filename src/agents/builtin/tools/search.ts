import { z } from 'zod';
import { RegexMatcher, RegexTimeout } from '../regex-search.js';
import { defineTool } from './types.js';

const SEARCH_TIMEOUT_MS = 5_000;
const MAX_HITS = 60;

export const search = defineTool({
  name: 'search',
  description: 'Search file contents; returns matching lines as path:line: text.',
  parameters: z.object({
    query: z.string().min(1).max(200).describe('Text to find (literal unless regex is true).'),
    regex: z.boolean().optional().describe('Treat query as a JavaScript regular expression.'),
    dir: z.string().optional().describe('Limit the search to this directory.'),
  }),
  async execute(a, ctx) {
    let matcher: RegexMatcher | undefined;
    if (a.regex) {
      try {
        matcher = new RegexMatcher(a.query, 'i', { timeoutMs: ctx.searchTimeoutMs ?? SEARCH_TIMEOUT_MS });
      } catch (err) {
        return `error: invalid regex: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    const q = a.query.toLowerCase();
    const prefix = a.dir ? `${ctx.sandbox.lexical(a.dir)}/`.replace(/^\.\//, '') : '';
    const hits: string[] = [];
    try {
      for (const f of await ctx.index.scan()) {
        if (!f.rel.startsWith(prefix) || f.lower === undefined) continue;
        if (!matcher && !f.lower.includes(q)) continue;
        const file = await ctx.sandbox.read(f.rel).catch(() => undefined);
        if (!file) continue;
        const lines = file.text.split('\n');
        const found = matcher
          ? await matcher.matchLines(file.text, MAX_HITS - hits.length)
          : lines
              .flatMap((l, i) => (l.toLowerCase().includes(q) ? [i] : []))
              .slice(0, MAX_HITS - hits.length);
        for (const i of found) hits.push(`${f.rel}:${i + 1}: ${lines[i]!.trim().slice(0, 200)}`);
        if (hits.length >= MAX_HITS) {
          hits.push(`[stopped at ${MAX_HITS} matches; narrow the query or use dir]`);
          break;
        }
      }
    } catch (err) {
      if (!(err instanceof RegexTimeout)) throw err;
      const partial = hits.length ? `\nMatches before it stopped:\n${hits.join('\n')}` : '';
      return `error: search timed out after ${err.timeoutMs} ms; the pattern backtracks too much. Use a simpler regex or a literal search.${partial}`;
    } finally {
      await matcher?.close();
    }
    return hits.length ? hits.join('\n') : 'no matches';
  },
});
