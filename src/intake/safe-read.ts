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
    // One read sized from fstat plus one byte: a task file is read in a single call, and the
    // spare byte tells a file that grew since fstat (an editor still writing) from one that did
    // not. The buffer is not zeroed (only the bytes read are used): zeroing a fixed 64 KB twice
    // per file made a scan of 1,000 files allocate 128 MB, which the process kept as RSS.
    const chunks: Buffer[] = [];
    let total = 0;
    let want = Math.min(st.size + 1, maxBytes + 1);
    for (;;) {
      const chunk = Buffer.allocUnsafe(want);
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, total);
      if (bytesRead > 0) chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) {
        return {
          ok: false,
          refused: `grew past processing.maxTaskFileBytes (${maxBytes}) while being read; it was not read`,
        };
      }
      // A short read of a regular file is its end.
      if (bytesRead < chunk.length) break;
      want = Math.min(65_536, maxBytes + 1 - total);
    }
    return { ok: true, text: (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8') };
  } finally {
    await fh.close();
  }
}
