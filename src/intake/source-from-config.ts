import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/index.js';
import type { Store } from '../store/index.js';
import { parseBacklogConfig } from '../tasks/index.js';
import { BacklogSource } from './backlog-source.js';
import { FolderSource } from './folder-source.js';
import type { TaskSource, TaskState } from './types.js';

/**
 * The task source of a project: Backlog.md's `backlog/tasks/` when `tasks.format` says so (or,
 * with `auto`, when `backlog/config.yml` exists), else the original's folders. The folders are
 * created either way: failed/ is where a Backlog.md task that cannot be read goes too.
 */
export async function createTaskSource(input: {
  config: Pick<Config, 'tasks' | 'taskIdFormat' | 'processing'>;
  baseDir: string;
  folders: Record<TaskState, string>;
  store: Pick<Store, 'getRun'>;
}): Promise<TaskSource> {
  const { config, baseDir, folders, store } = input;
  const maxFileBytes = config.processing.maxTaskFileBytes;
  const folderSource = new FolderSource({
    folders,
    extractRegex: config.taskIdFormat.extractRegex,
    maxFileBytes,
  });
  await folderSource.ensureFolders();
  const backlogDir = path.resolve(baseDir, config.tasks.backlogDir);
  const useBacklog =
    config.tasks.format === 'backlog' ||
    (config.tasks.format === 'auto' && existsSync(path.join(backlogDir, 'config.yml')));
  if (!useBacklog) return folderSource;
  return new BacklogSource({
    tasksDir: path.join(backlogDir, 'tasks'),
    failedDir: folders.failed,
    project: parseBacklogConfig(await readFile(path.join(backlogDir, 'config.yml'), 'utf8').catch(() => '')),
    inReview: (id) => store.getRun(id)?.state === 'review',
    maxFileBytes,
  });
}
