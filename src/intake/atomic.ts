import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** Prefix of temp files; watchers ignore names starting with it. */
export const TEMP_PREFIX = '.tp-tmp-';

/** Writes a file so readers see either the old or the new content, never a torn one (temp + fsync + rename). */
export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
  const tmp = path.join(
    path.dirname(file),
    `${TEMP_PREFIX}${path.basename(file)}.${randomBytes(4).toString('hex')}`,
  );
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export function isTempFile(file: string): boolean {
  return path.basename(file).startsWith(TEMP_PREFIX);
}
