import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { LogComponent } from './entries.js';

/** The file a component's lines go to (see src/observability/logger.ts). */
export function fileOf(component: LogComponent): string {
  return component === 'error' ? 'error.log' : component === 'server' ? 'processor.log' : `${component}.log`;
}

/** Current files read by default: error.log only repeats their errors. */
export function currentFiles(component: LogComponent | undefined): string[] {
  return component ? [fileOf(component)] : ['processor.log', 'watcher.log', 'git.log'];
}

/**
 * `name` and its rotated copies (`name.1`, `name.2.gz`, … classic numbering, 1 the newest),
 * oldest first, so their lines come out in the order they were written.
 */
export function rotatedSet(dir: string, name: string): string[] {
  const re = new RegExp(`^${name.replace(/\./g, '\\.')}\\.(\\d+)(\\.gz)?$`);
  const rotated = existsSync(dir)
    ? readdirSync(dir)
        .map((f) => ({ f, n: Number(re.exec(f)?.[1]) }))
        .filter((x) => Number.isInteger(x.n) && x.n > 0)
        .sort((a, b) => b.n - a.n)
        .map((x) => path.join(dir, x.f))
    : [];
  const current = path.join(dir, name);
  return existsSync(current) ? [...rotated, current] : rotated;
}

/** Lines of a log file, gunzipped when it is a `.gz` rotation. */
export function readLines(file: string): string[] {
  const buf = readFileSync(file);
  const text = (file.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
  return text.split('\n').filter((l) => l.length > 0);
}
