import { constants, type Stats } from 'node:fs';
import { lstat, open } from 'node:fs/promises';

/** `processing.maxTaskFileBytes`' default: a task is a page of text, not a data set. */
export const DEFAULT_MAX_TASK_FILE_BYTES = 1_048_576;

/** A task file's text, or why it was not read (its content was never opened or looked at). */
export type TaskFileText = { ok: true; text: string } | { ok: false; refused: string };

function kindOf(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

function refusal(st: Stats, maxBytes: number): string | undefined {
  if (st.isSymbolicLink()) {
    return 'is a symbolic link: task files must be regular files inside the task folders (the link target was not read)';
  }
  if (!st.isFile()) return `is not a regular file but ${kindOf(st)}; only regular files are read`;
  if (st.size > maxBytes) {
    return `is ${st.size} bytes, larger than processing.maxTaskFileBytes (${maxBytes}); it was not read`;
  }
  return undefined;
}

/**
 * Reads a task file from a folder that anyone may drop files into. Only a regular file of
 * at most `maxBytes` is read: a symlink is never followed (its target may be any file on the
 * host), and a FIFO, socket or device is never opened, because reading one blocks a libuv
 * thread forever and four of them stall every file operation of the process.
 *
 * The checks run twice: `lstat` decides before anything is opened, then the file is opened
 * with `O_NOFOLLOW | O_NONBLOCK` and `fstat`-ed, so a file swapped in between is still
 * caught and can never block. Reading stops one byte past the cap. A missing file throws
 * ENOENT as `readFile` would; every other refusal is a value.
 */
export async function readTaskFile(file: string, maxBytes: number): Promise<TaskFileText> {
  const before = await lstat(file);
  const early = refusal(before, maxBytes);
  if (early) return { ok: false, refused: early };
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP')
      return { ok: false, refused: refusal(await lstat(file), maxBytes) ?? 'is a symbolic link' };
    throw err;
  }
  try {
    const st = await fh.stat();
    const late = refusal(st, maxBytes);
    if (late) return { ok: false, refused: late };
    // Chunked up to one byte past the cap: the file may grow after fstat (an editor still writing).
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(65_536, maxBytes + 1 - total));
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, total);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) {
        return {
          ok: false,
          refused: `grew past processing.maxTaskFileBytes (${maxBytes}) while being read; it was not read`,
        };
      }
    }
    return { ok: true, text: Buffer.concat(chunks).toString('utf8') };
  } finally {
    await fh.close();
  }
}
