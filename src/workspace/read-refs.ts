import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/**
 * The refs under `prefix` (e.g. `refs/remotes/origin/`) of a repository, name → sha, read from
 * git's files backend (`packed-refs`, then loose ref files, which win) instead of a
 * `for-each-ref` process: this runs after every fetch, on the path of each task. Symbolic refs
 * are left out. Returns undefined where the layout is not one this reader knows (the reftable
 * backend, a ref it cannot parse): the caller then asks git.
 */
export async function readRefsFromFiles(
  gitDir: string,
  prefix: string,
): Promise<Map<string, string> | undefined> {
  const config = await readFile(path.join(gitDir, 'config'), 'utf8').catch(() => undefined);
  if (config === undefined || /^\s*refstorage\s*=/im.test(config)) return undefined;
  const refs = new Map<string, string>();
  const packed = await readFile(path.join(gitDir, 'packed-refs'), 'utf8').catch(
    (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? '' : undefined),
  );
  if (packed === undefined) return undefined;
  for (const line of packed.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('^')) continue;
    const space = line.indexOf(' ');
    const sha = line.slice(0, space);
    const name = line.slice(space + 1);
    if (space < 0 || !SHA.test(sha)) return undefined;
    if (name.startsWith(prefix)) refs.set(name, sha);
  }
  const ok = await readLoose(gitDir, prefix.replace(/\/+$/, ''), refs);
  return ok ? refs : undefined;
}

async function readLoose(gitDir: string, name: string, refs: Map<string, string>): Promise<boolean> {
  const entries = await readdir(path.join(gitDir, name), { withFileTypes: true }).catch(
    (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? [] : undefined),
  );
  if (entries === undefined) return false;
  for (const entry of entries) {
    // A ref being written right now: git renames the lock file over the ref when done.
    if (entry.name.endsWith('.lock')) continue;
    const child = `${name}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!(await readLoose(gitDir, child, refs))) return false;
    } else if (entry.isFile()) {
      const value = (await readFile(path.join(gitDir, child), 'utf8').catch(() => '')).trim();
      if (SHA.test(value)) refs.set(child, value);
      else if (!value.startsWith('ref: ')) return false;
    } else return false;
  }
  return true;
}
