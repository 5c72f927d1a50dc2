import { z } from 'zod';
import type { ProcessSandbox } from '../../sandbox/index.js';
import type { ToolSpec } from './chat-port.js';
import { applyEdits } from './edits.js';
import { RegexMatcher, RegexTimeout } from './regex-search.js';
import type { RepoIndex } from './repo-index.js';
import { type AllowRule, clip, isAllowed, runAllowedCommand, splitWords } from './run-command.js';
import type { Sandbox } from './sandbox.js';

const schemas = {
  read_file: z.object({
    path: z.string().describe('File path relative to the repository root.'),
    start_line: z.number().int().positive().optional().describe('First line to return (1-based).'),
    end_line: z.number().int().positive().optional().describe('Last line to return (inclusive).'),
  }),
  list_files: z.object({
    dir: z.string().optional().describe('Directory relative to the root; default the whole repository.'),
    contains: z.string().optional().describe('Only paths containing this text.'),
  }),
  search: z.object({
    query: z.string().min(1).max(200).describe('Text to find (literal unless regex is true).'),
    regex: z.boolean().optional().describe('Treat query as a JavaScript regular expression.'),
    dir: z.string().optional().describe('Limit the search to this directory.'),
  }),
  write_file: z.object({
    path: z.string().describe('File path relative to the repository root.'),
    content: z.string().describe('The complete new content of the file.'),
  }),
  apply_patch: z.object({
    edits: z
      .array(
        z.object({
          path: z.string(),
          search: z.string().describe('Exact current text to replace; empty to create a new file.'),
          replace: z.string().describe('Replacement text.'),
        }),
      )
      .min(1)
      .describe('Search/replace edits; all are applied or none.'),
  }),
  run_command: z.object({
    command: z.string().describe('Command line from the allowed list, e.g. "npm test". No shell syntax.'),
  }),
  finish: z.object({ summary: z.string().describe('What you changed and why, in a few sentences.') }),
} as const;

export type ToolName = keyof typeof schemas;

const DESCRIPTIONS: Record<ToolName, string> = {
  read_file: 'Read a text file of the repository (optionally a line range).',
  list_files: 'List repository files, optionally under a directory or containing some text.',
  search: 'Search file contents; returns matching lines as path:line: text.',
  write_file: 'Create or overwrite a file with complete content.',
  apply_patch: 'Edit files with exact search/replace pairs; validated together, applied all-or-nothing.',
  run_command: 'Run an allowed command in the repository (no shell). Allowed: ',
  finish: 'Call when the task is complete (or cannot be done), with a summary.',
};

/** Tool definitions for `/api/chat`, generated from the same schemas that validate the calls. */
export function toolSpecs(allowList: readonly string[]): ToolSpec[] {
  return (Object.keys(schemas) as ToolName[])
    .filter((name) => name !== 'run_command' || allowList.length > 0)
    .map((name) => {
      const { $schema: _ignored, ...parameters } = z.toJSONSchema(schemas[name]) as Record<string, unknown>;
      const description =
        name === 'run_command' ? DESCRIPTIONS[name] + allowList.join('; ') : DESCRIPTIONS[name];
      return { type: 'function', function: { name, description, parameters } };
    });
}

export interface ToolContext {
  sandbox: Sandbox;
  index: RepoIndex;
  allowRules: readonly AllowRule[];
  allowList: readonly string[];
  commandTimeoutMs: number;
  /** Complete environment of `run_command`. */
  env: Record<string, string | undefined>;
  /** Confinement of `run_command`; undefined runs unconfined (`sandbox.mode: none`). */
  commandSandbox?: ProcessSandbox | undefined;
  signal: AbortSignal;
  /** Max characters of any single tool result. */
  maxResultChars: number;
  /** Paths written so far in this run. */
  changed: Set<string>;
  /** Budget of one regex search. Default 5 s. */
  searchTimeoutMs?: number;
}

const SEARCH_TIMEOUT_MS = 5_000;

export type ToolOutcome = { kind: 'result'; text: string } | { kind: 'finish'; summary: string };

/** Validates and executes one tool call; every failure becomes text the model can act on. */
export async function runTool(
  name: string,
  args: Record<string, unknown>,
  ctx: ToolContext,
): Promise<ToolOutcome> {
  if (!(name in schemas)) {
    return {
      kind: 'result',
      text: `error: unknown tool "${name}". Available: ${Object.keys(schemas).join(', ')}`,
    };
  }
  const parsed = schemas[name as ToolName].safeParse(args);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(arguments)'}: ${i.message}`);
    return { kind: 'result', text: `error: invalid arguments for ${name}: ${issues.join('; ')}` };
  }
  try {
    const text = await execute(name as ToolName, parsed.data as never, ctx);
    if (typeof text !== 'string') return text;
    return { kind: 'result', text: clip(text, ctx.maxResultChars) };
  } catch (err) {
    return { kind: 'result', text: `error: ${err instanceof Error ? err.message : String(err)}` };
  }
}

type Args<N extends ToolName> = z.infer<(typeof schemas)[N]>;

async function execute(name: ToolName, a: never, ctx: ToolContext): Promise<string | ToolOutcome> {
  switch (name) {
    case 'read_file': {
      const { path, start_line, end_line } = a as Args<'read_file'>;
      const file = await ctx.sandbox.read(path);
      if (!file) return `error: ${path} does not exist`;
      if (file.text.includes('\0')) return `error: ${path} is a binary file`;
      const lines = file.text.split('\n');
      const from = Math.max(1, start_line ?? 1);
      const to = Math.min(lines.length, end_line ?? lines.length);
      const body = lines.slice(from - 1, to).join('\n');
      const range = from === 1 && to === lines.length ? '' : ` (lines ${from}-${to} of ${lines.length})`;
      return `${file.rel}${range}:\n${body}`;
    }
    case 'list_files': {
      const { dir, contains } = a as Args<'list_files'>;
      const prefix = dir ? `${ctx.sandbox.lexical(dir)}/`.replace(/^\.\//, '') : '';
      const files = (await ctx.index.listFiles()).filter(
        (f) => f.startsWith(prefix) && (!contains || f.includes(contains)),
      );
      const shown = files.slice(0, 400);
      const more =
        files.length > shown.length ? `\n[… ${files.length - shown.length} more; narrow with dir]` : '';
      return files.length ? shown.join('\n') + more : 'no files match';
    }
    case 'search':
      return search(a as Args<'search'>, ctx);
    case 'write_file': {
      const { path, content } = a as Args<'write_file'>;
      return editResult(await applyEdits(ctx.sandbox, [{ kind: 'write', path, content }]), ctx);
    }
    case 'apply_patch': {
      const { edits } = a as Args<'apply_patch'>;
      const list = edits.map((e) => ({ kind: 'replace' as const, ...e }));
      return editResult(await applyEdits(ctx.sandbox, list), ctx);
    }
    case 'run_command': {
      const argv = splitWords((a as Args<'run_command'>).command);
      if (!argv.length || !isAllowed(ctx.allowRules, argv)) {
        return `error: command not allowed: ${JSON.stringify(argv.join(' '))}. Allowed: ${ctx.allowList.join('; ') || '(none)'}`;
      }
      return runAllowedCommand(ctx.sandbox.root, argv, {
        timeoutMs: ctx.commandTimeoutMs,
        maxOutputChars: ctx.maxResultChars,
        env: ctx.env,
        signal: ctx.signal,
        sandbox: ctx.commandSandbox,
      });
    }
    case 'finish':
      return { kind: 'finish', summary: (a as Args<'finish'>).summary };
  }
}

function editResult(res: Awaited<ReturnType<typeof applyEdits>>, ctx: ToolContext): string {
  if (!res.ok) return `error: nothing was changed:\n- ${res.errors.join('\n- ')}`;
  for (const p of res.changed) ctx.changed.add(p);
  return res.changed.length ? `ok: changed ${res.changed.join(', ')}` : 'ok: content was already identical';
}

async function search(a: Args<'search'>, ctx: ToolContext): Promise<string> {
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
  const limit = 60;
  try {
    for (const f of await ctx.index.scan()) {
      if (!f.rel.startsWith(prefix) || f.lower === undefined) continue;
      if (!matcher && !f.lower.includes(q)) continue;
      const file = await ctx.sandbox.read(f.rel).catch(() => undefined);
      if (!file) continue;
      const lines = file.text.split('\n');
      const found = matcher
        ? await matcher.matchLines(file.text, limit - hits.length)
        : lines.flatMap((l, i) => (l.toLowerCase().includes(q) ? [i] : [])).slice(0, limit - hits.length);
      for (const i of found) hits.push(`${f.rel}:${i + 1}: ${lines[i]!.trim().slice(0, 200)}`);
      if (hits.length >= limit) {
        hits.push(`[stopped at ${limit} matches; narrow the query or use dir]`);
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
}
