import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  buildContext,
  estimateTokens,
  RepoIndex,
  renderTask,
  systemPrompt,
  toolSpecs,
} from '../src/agents/builtin/index.js';
import { firstMessage } from '../src/agents/builtin/prompt.js';
import type { Task } from '../src/tasks/types.js';
import { makeTask } from '../test/helpers/task.js';

const FILES = 5_000;
const RUNS = 7;
const BUDGETS = [4_096, 16_384, 32_768];

const WORDS = ['order', 'cart', 'user', 'session', 'report', 'export', 'cache', 'queue', 'mailer', 'parser'];

function tsFile(dir: number, i: number): string {
  const noun = WORDS[(dir + i) % WORDS.length]!;
  const name = `${noun}${dir}x${i}`;
  const lines = [`import { helper } from '../shared/helper.js';`, ''];
  lines.push(`export interface ${cap(name)}Options {\n  limit: number;\n  label: string;\n}`, '');
  for (let f = 0; f < 6; f++) {
    lines.push(`export function ${name}Step${f}(input: number[], opts: ${cap(name)}Options): number {`);
    lines.push(`  // step ${f} of the ${noun} pipeline`);
    lines.push('  let total = 0;');
    lines.push('  for (const v of input) total += helper(v) * opts.limit;');
    lines.push(`  return total + ${f};`);
    lines.push('}', '');
  }
  return lines.join('\n');
}

function pyFile(dir: number, i: number): string {
  const noun = WORDS[(dir * 3 + i) % WORDS.length]!;
  const out = [`"""${noun} utilities."""`, 'import math', ''];
  out.push(`class ${cap(noun)}Worker${i}:`, '    def __init__(self, size):', '        self.size = size', '');
  for (let f = 0; f < 5; f++)
    out.push(`def ${noun}_job_${i}_${f}(values):`, `    return sum(math.sqrt(v) for v in values) + ${f}`, '');
  return out.join('\n');
}

const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);

/** 5,000 files in 50 directories (TS and Python), plus the few files the task is really about. */
async function generateRepo(root: string): Promise<void> {
  const perDir = FILES / 50;
  for (let d = 0; d < 50; d++) {
    const dir = path.join(root, 'src', `mod${String(d).padStart(2, '0')}`);
    await mkdir(dir, { recursive: true });
    const writes: Promise<void>[] = [];
    for (let i = 0; i < perDir; i++) {
      const py = i % 5 === 4;
      writes.push(
        writeFile(path.join(dir, `file${i}.${py ? 'py' : 'ts'}`), py ? pyFile(d, i) : tsFile(d, i)),
      );
    }
    await Promise.all(writes);
  }
  await mkdir(path.join(root, 'src/billing'), { recursive: true });
  await writeFile(
    path.join(root, 'src/billing/invoice-totals.ts'),
    'export function invoiceTotals(lines: Array<{ price: number; qty: number }>): number {\n  return lines.reduce((s, l) => s + l.price * l.qty, 0);\n}\n',
  );
  await writeFile(
    path.join(root, 'src/mod07/file3.ts'),
    'import { invoiceTotals } from "../billing/invoice-totals.js";\nexport const currencyRounding = (n: number) => Math.round(n * 100) / 100;\nexport const total = invoiceTotals([]);\n',
  );
}

function task(): Task {
  return makeTask({
    id: '7',
    title: 'Round invoice totals to the currency precision',
    model: 'qwen2.5-coder:7b',
    description:
      'invoiceTotals in src/billing/invoice-totals.ts returns unrounded floats. Use currencyRounding so totals have two decimals.',
    acceptanceCriteria: ['invoiceTotals([{price: 0.1, qty: 3}]) === 0.3', 'existing callers keep working'],
    labels: ['billing', 'bug'],
    estimatedHours: 1,
  });
}

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! * 10) / 10;
}

/** Builds the first prompt for a 5,000-file repository at several budgets; reports tokens and build time. */
export default async function run(): Promise<{
  name: string;
  rows: Array<Record<string, string | number>>;
  notes?: string[];
}> {
  const root = await mkdtemp(path.join(tmpdir(), 'tp-bench-ctx-'));
  try {
    const genStart = performance.now();
    await generateRepo(root);
    execFileSync('git', ['init', '-q'], { cwd: root });
    execFileSync('git', ['add', '.'], { cwd: root });
    const genMs = Math.round(performance.now() - genStart);

    const t = task();
    const rendered = renderTask(t);
    const specs = toolSpecs(['npm test']);
    const system = systemPrompt('tools', ['npm test']);
    const fixed =
      estimateTokens(system) + estimateTokens(rendered.text) + estimateTokens(JSON.stringify(specs)) + 300;
    const rows: Array<Record<string, string | number>> = [];
    const warmIndex = new RepoIndex(root);
    await warmIndex.scan();

    for (const budget of BUDGETS) {
      const cold: number[] = [];
      const warm: number[] = [];
      let last: Awaited<ReturnType<typeof buildContext>> | undefined;
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        last = await buildContext(new RepoIndex(root), rendered.plain, { budgetTokens: budget - fixed });
        cold.push(performance.now() - t0);
        const t1 = performance.now();
        await buildContext(warmIndex, rendered.plain, { budgetTokens: budget - fixed });
        warm.push(performance.now() - t1);
      }
      const ctx = last!;
      const prompt =
        estimateTokens(system) +
        estimateTokens(firstMessage(rendered.text, ctx.text, 'tools')) +
        estimateTokens(JSON.stringify(specs));
      rows.push({
        budgetTokens: budget,
        promptTokens: prompt,
        withinBudget: prompt <= budget ? 'yes' : 'NO',
        contextTokens: ctx.tokens,
        filesIncluded: ctx.files.length,
        namedFileIncluded: ctx.files.some((f) => f.path === 'src/billing/invoice-totals.ts') ? 'yes' : 'no',
        filesOmitted: ctx.omitted.length,
        mapDetail: ctx.map.detail,
        mapFilesListed: ctx.map.filesListed,
        coldP50Ms: pct(cold, 50),
        coldP95Ms: pct(cold, 95),
        warmP50Ms: pct(warm, 50),
        warmP95Ms: pct(warm, 95),
      });
    }
    return {
      name: 'context-build',
      rows,
      notes: [
        `${FILES + 1} generated files (TS + Python, 50 directories), git-indexed; generation took ${genMs} ms.`,
        `${RUNS} runs per budget. cold = new RepoIndex (what one agent run pays); warm = index reused (a later turn).`,
        'Tokens are estimates (~3.6 ASCII chars per token); promptTokens = system + ticket + context + tool specs.',
      ],
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().then(
    (r) => {
      console.table(r.rows);
      for (const n of r.notes ?? []) console.log(n);
    },
    (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
