import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/** Whether `p` is a regular file this process may execute. */
export function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The first executable `name` in `dirs`, as an absolute path; a name with a `/` is a path and
 * is only checked. Relative directories are skipped (a PATH entry like `.` would make the
 * answer depend on the current directory).
 */
export function findExecutable(name: string, dirs: readonly string[]): string | undefined {
  if (name.includes('/')) return isExecutableFile(path.resolve(name)) ? path.resolve(name) : undefined;
  for (const dir of dirs) {
    if (!path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}
