import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { protectedPathReason } from './protected-paths.js';

/** A path the model asked for that may not be touched; the message goes back to the model. */
export class SandboxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxError';
  }
}

export interface ResolvedPath {
  /** Path relative to the worktree, with forward slashes (what the model sees). */
  rel: string;
  /** Absolute path to read or write; for an existing symlink inside the tree, its real target. */
  abs: string;
  /** `abs` relative to the worktree, forward slashes: what a write really changes. */
  realRel: string;
  exists: boolean;
}

/**
 * Confines every file operation of the agent to one worktree. A path is accepted only when it is
 * relative, stays inside after normalisation, does not enter `.git`, and the real path of the
 * target (or of its nearest existing parent, for new files) lies inside the worktree's real path,
 * so a symlink planted in the tree cannot lead a write outside.
 */
export class Sandbox {
  private realRoot: string | undefined;

  constructor(readonly root: string) {}

  private async rootReal(): Promise<string> {
    this.realRoot ??= await realpath(this.root);
    return this.realRoot;
  }

  /** Normalises and checks a model-supplied path without touching the disk. */
  lexical(input: string): string {
    if (typeof input !== 'string' || input.trim() === '') throw new SandboxError('path is empty');
    if (input.includes('\0')) throw new SandboxError('path contains a NUL byte');
    const cleaned = input.trim().replace(/\\/g, '/');
    if (path.posix.isAbsolute(cleaned) || /^[a-zA-Z]:/.test(cleaned) || cleaned.startsWith('~')) {
      throw new SandboxError(
        `absolute path not allowed: ${input} (use a path relative to the repository root)`,
      );
    }
    const rel = path.posix
      .normalize(cleaned)
      .replace(/^\.\/+/, '')
      .replace(/\/+$/, '');
    if (rel === '..' || rel.startsWith('../'))
      throw new SandboxError(`path escapes the repository: ${input}`);
    if (rel === '' || rel === '.') return '.';
    if (rel.split('/').some((seg) => seg.toLowerCase() === '.git')) {
      throw new SandboxError(`the .git directory is off limits: ${input}`);
    }
    return rel;
  }

  /** Resolves a path for reading or writing; throws `SandboxError` when it leads outside. */
  async resolve(input: string): Promise<ResolvedPath> {
    const rel = this.lexical(input);
    const root = await this.rootReal();
    const abs = rel === '.' ? root : path.join(root, ...rel.split('/'));
    let probe = abs;
    let exists = false;
    for (;;) {
      const st = await lstat(probe).catch(() => undefined);
      if (st) {
        exists = probe === abs;
        break;
      }
      const parent = path.dirname(probe);
      if (parent === probe) throw new SandboxError(`no existing parent for ${input}`);
      probe = parent;
    }
    let real: string;
    try {
      real = await realpath(probe);
    } catch {
      throw new SandboxError(`path ${input} goes through a broken symlink`);
    }
    if (!isInside(root, real))
      throw new SandboxError(`path ${input} leads outside the repository via a symlink`);
    const relReal = path.relative(root, real).split(path.sep);
    if (relReal.some((seg) => seg.toLowerCase() === '.git')) {
      throw new SandboxError(`path ${input} leads into .git via a symlink`);
    }
    const target = exists ? real : path.join(real, path.relative(probe, abs));
    const realRel = path.relative(root, target).split(path.sep).join('/') || '.';
    return { rel, abs: target, realRel, exists };
  }

  /** Reads a file inside the sandbox as UTF-8. */
  async read(input: string): Promise<{ rel: string; text: string } | undefined> {
    const r = await this.resolve(input);
    if (!r.exists) return undefined;
    return { rel: r.rel, text: await readFile(r.abs, 'utf8') };
  }

  /**
   * Writes a file atomically (temp file + rename in the same directory). Re-resolves the path
   * just before writing, so a symlink swapped in after validation is still caught.
   */
  async write(input: string, data: string): Promise<void> {
    const r = await this.resolve(input);
    // Also checked when edits are planned; here it holds for every writer, symlinks included.
    const reason = protectedPathReason(r.rel) ?? protectedPathReason(r.realRel);
    if (reason) throw new SandboxError(reason);
    await mkdir(path.dirname(r.abs), { recursive: true });
    const again = await this.resolve(input);
    if (again.abs !== r.abs) throw new SandboxError(`path ${input} changed while writing`);
    const tmp = path.join(
      path.dirname(r.abs),
      `.${path.basename(r.abs)}.tp-${randomBytes(4).toString('hex')}`,
    );
    try {
      await writeFile(tmp, data, 'utf8');
      await rename(tmp, r.abs);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /** Removes a file the agent created (used to roll back a failed multi-file write). */
  async remove(input: string): Promise<void> {
    const r = await this.resolve(input);
    if (r.exists) await rm(r.abs, { force: true });
  }
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
