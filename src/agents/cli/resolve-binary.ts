import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findExecutable, isExecutableFile } from '../../sandbox/index.js';

export interface ResolveBinaryOptions {
  /** Environment whose `PATH` is searched. */
  env: Record<string, string | undefined>;
  /** An explicit path (config); used as is when it is executable. */
  explicitPath?: string;
  /** Extra directories searched after PATH (tests, custom installs). */
  extraDirs?: readonly string[];
  /** Search `node_modules/.bin` folders above this module (the package's own dev installs). Default true. */
  searchPackageBins?: boolean;
}

/** `node_modules/.bin` folders from this module up to the file-system root, nearest first. */
export function packageBinDirs(from = dirname(fileURLToPath(import.meta.url))): string[] {
  const dirs: string[] = [];
  let dir = from;
  for (;;) {
    dirs.push(join(dir, 'node_modules', '.bin'));
    const parent = dirname(dir);
    if (parent === dir) return dirs;
    dir = parent;
  }
}

/**
 * Finds an agent binary: an explicit path first, then `PATH` (a user's own install wins),
 * then the `node_modules/.bin` folders of this package (the pinned dev install). Returns an
 * absolute path, or `undefined` when nothing executable is found.
 */
export function resolveBinary(name: string, opts: ResolveBinaryOptions): string | undefined {
  if (opts.explicitPath) {
    const p = resolve(opts.explicitPath);
    return isExecutableFile(p) ? p : undefined;
  }
  return findExecutable(name, [
    ...(opts.env.PATH ?? '').split(delimiter),
    ...(opts.extraDirs ?? []),
    ...(opts.searchPackageBins === false ? [] : packageBinDirs()),
  ]);
}
