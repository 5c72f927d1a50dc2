import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** What every `bench/*.bench.ts` default export resolves to. */
export interface BenchResult {
  name: string;
  rows: Array<Record<string, string | number>>;
  notes?: string[];
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export function summary(values: number[]): {
  n: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
} {
  const mean = values.reduce((a, b) => a + b, 0) / (values.length || 1);
  return {
    n: values.length,
    p50: round(percentile(values, 50)),
    p95: round(percentile(values, 95)),
    max: round(Math.max(...values)),
    mean: round(mean),
  };
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export function printTable(result: BenchResult): string {
  const cols = [...new Set(result.rows.flatMap((r) => Object.keys(r)))];
  const cells = [cols, ...result.rows.map((r) => cols.map((c) => String(r[c] ?? '')))];
  const widths = cols.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const out = [`### ${result.name}`, '', line(cols), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`];
  for (const row of cells.slice(1)) out.push(line(row));
  for (const n of result.notes ?? []) out.push('', `- ${n}`);
  return out.join('\n');
}

export function saveResult(file: string, result: BenchResult): void {
  const dir = path.resolve('bench/results');
  mkdirSync(dir, { recursive: true });
  const base = path.join(dir, path.basename(file).replace(/\.bench\.ts$/, ''));
  const at = new Date().toISOString();
  writeFileSync(`${base}.json`, `${JSON.stringify({ ...result, at, node: process.version }, null, 2)}\n`);
  // The Markdown table is what goes into notes and issues as is.
  writeFileSync(`${base}.md`, `${printTable(result)}\n\n- Run at ${at}, Node ${process.version}.\n`);
}
