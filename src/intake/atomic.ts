import { randomBytes } from 'node:crypto';
import { link, open, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';

/** Prefix of temp files; watchers ignore names starting with it. */
export const TEMP_PREFIX = '.tp-tmp-';

/** Writes `data` to a fresh temp file beside `file` and fsyncs it; returns the temp path. */
async function writeTemp(file: string, data: string | Buffer): Promise<string> {
  const tmp = path.join(
    path.dirname(file),
    `${TEMP_PREFIX}${path.basename(file)}.${randomBytes(4).toString('hex')}`,
  );
  const fh = await open(tmp, 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  return tmp;
}

/** Writes a file so readers see either the old or the new content, never a torn one (temp + fsync + rename). */
export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
  const tmp = await writeTemp(file, data);
  try {
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Writes a new file, failing with EEXIST when the name is taken: never replaces a file. Readers
 * see the whole content or nothing (temp + fsync + hard link, which fails when the name
 * exists). Where hard links are not supported, the file is created with `wx` and written in
 * place.
 */
export async function writeFileExclusive(file: string, data: string | Buffer): Promise<void> {
  const tmp = await writeTemp(file, data);
  try {
    await link(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
    const direct = await open(file, 'wx');
    try {
      await direct.writeFile(data);
      await direct.sync();
    } finally {
      await direct.close();
    }
    return;
  }
  await unlink(tmp);
}

export function isTempFile(file: string): boolean {
  return path.basename(file).startsWith(TEMP_PREFIX);
}
