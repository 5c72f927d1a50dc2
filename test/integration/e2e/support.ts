import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';

const run = promisify(execFile);

/** A credential to look for; `label` is what failure messages show, never the value itself. */
export interface Needle {
  label: string;
  value: string;
}

export interface LeakHit {
  where: string;
  label: string;
}

/** Every regular file below `dir` (dot-folders such as `.git` and `.ticket-processor` included). */
export async function allFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(path.join(e.parentPath, e.name));
  }
  return out.sort();
}

/** Which needles occur in `text`; a label per hit so the secret never reaches the test output. */
export function findNeedles(where: string, text: string | Buffer, needles: Needle[]): LeakHit[] {
  const buf = typeof text === 'string' ? Buffer.from(text) : text;
  return needles.filter((n) => buf.includes(Buffer.from(n.value))).map((n) => ({ where, label: n.label }));
}

/**
 * Every text value in every table of a SQLite file. The raw-bytes scan already reads the
 * file, but a long value can straddle an overflow page and escape a byte search, so the
 * rows are read through SQLite too.
 */
export function sqliteText(dbFile: string): string {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .all() as { name: string }[];
    return tables
      .map((t) => JSON.stringify(db.prepare(`SELECT * FROM "${t.name.replaceAll('"', '""')}"`).all()))
      .join('\n');
  } finally {
    db.close();
  }
}

/** Scans every file under `dirs` (raw bytes, plus SQLite rows for `*.db`) for the needles. */
export async function scanTree(
  dirs: string[],
  needles: Needle[],
): Promise<{ scanned: string[]; hits: LeakHit[] }> {
  const scanned: string[] = [];
  const hits: LeakHit[] = [];
  for (const dir of dirs) {
    for (const file of await allFiles(dir)) {
      scanned.push(file);
      hits.push(...findNeedles(file, await readFile(file), needles));
      if (file.endsWith('.db')) hits.push(...findNeedles(`${file} (rows)`, sqliteText(file), needles));
    }
  }
  return { scanned, hits };
}

/** Polls `check` until it returns a truthy value; fails with `what` after `timeoutMs`. */
export { type RunningCli, startServe, waitFor } from '../../helpers/serve.js';

/** Puts one commit on `main` of a bare repository, straight through the file system (no credentials). */
export async function seedMain(bareRepo: string): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tp-e2e-seed-'));
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'Seeder',
    GIT_AUTHOR_EMAIL: 'seed@example.com',
    GIT_COMMITTER_NAME: 'Seeder',
    GIT_COMMITTER_EMAIL: 'seed@example.com',
  };
  const git = (args: string[]) => run('git', args, { cwd: dir, env });
  await git(['init', '--quiet', '--initial-branch=main']);
  await writeFile(path.join(dir, 'README.md'), '# widgets\n');
  await git(['add', 'README.md']);
  await git(['commit', '--quiet', '-m', 'Initial commit']);
  await git(['push', '--quiet', bareRepo, 'main']);
  await rm(dir, { recursive: true, force: true });
}

/** `git rev-parse` in a bare repository; undefined when the ref does not exist. */
export async function refSha(bareRepo: string, ref: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('git', ['-C', bareRepo, 'rev-parse', '--verify', '--quiet', ref]);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A file's content at `ref` in a bare repository. */
export async function showFile(bareRepo: string, ref: string, file: string): Promise<string> {
  const { stdout } = await run('git', ['-C', bareRepo, 'show', `${ref}:${file}`]);
  return stdout;
}
