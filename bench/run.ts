import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BenchResult, printTable, saveResult } from './lib.js';

/** `npm run bench [name…]`: runs every bench/*.bench.ts (or the named ones), prints tables, saves JSON. */
const only = process.argv.slice(2);
const files = readdirSync(path.resolve('bench'))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
let failed = 0;
for (const f of files) {
  const started = Date.now();
  process.stderr.write(`running ${f}…\n`);
  try {
    const mod = (await import(pathToFileURL(path.resolve('bench', f)).href)) as {
      default: () => Promise<BenchResult>;
    };
    const result = await mod.default();
    saveResult(f, result);
    process.stdout.write(`${printTable(result)}\n\n(${((Date.now() - started) / 1000).toFixed(1)} s)\n\n`);
  } catch (err) {
    failed++;
    process.stderr.write(`${f} failed: ${(err as Error).stack ?? err}\n`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
