import { type FSWatcher, watch } from 'node:fs';
import path from 'node:path';

/** A watch over the task folders (`TaskSource.watchPaths`), closed on shutdown. */
export interface TaskFolderWatch {
  close(): Promise<void>;
}

/**
 * Watches each folder itself (one inotify watch per folder) and reports the full path of every
 * name that was created, moved in, written or touched there; the caller decides whether it is a
 * task file and looks at it (a name that is gone again fails its `lstat`).
 *
 * Not chokidar: it adds a watch per file and, on every change in the folder, lists it again and
 * `lstat`s every entry. With 1,000 queued files a coordinator claiming them moved one file out per
 * claim, so each claim cost a listing of the whole backlog: about 2 GB of garbage for 1,000 claims,
 * which the process kept as RSS, and a CPU busy for seconds. The candidates are direct children
 * of the watched folders, so the folder's own events are all that is needed.
 */
export function watchTaskFolders(
  dirs: readonly string[],
  onFile: (file: string) => void,
  onError: (err: Error) => void,
): TaskFolderWatch {
  const watchers: FSWatcher[] = [];
  for (const dir of dirs) {
    try {
      // A symlink dropped into the folder is reported like any name; the reader refuses it.
      const w = watch(dir, { persistent: true }, (_kind, name) => {
        if (name) onFile(path.join(dir, name.toString()));
      });
      w.on('error', onError);
      watchers.push(w);
    } catch (err) {
      onError(err as Error);
    }
  }
  return {
    async close() {
      for (const w of watchers) w.close();
    },
  };
}
