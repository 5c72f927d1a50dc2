import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { configSchema } from '../../../src/config/index.js';
import { EventBus } from '../../../src/events/index.js';
import { FolderSource } from '../../../src/intake/folder-source.js';
import { QueueSet } from '../../../src/queue/index.js';
import { createStats, type StatsDeps } from '../../../src/stats/index.js';
import { SqliteStore } from '../../../src/store/index.js';
import { tmpDir } from '../../helpers/project.js';

export const HOUR = 3_600_000;

/** A settable clock: tests move time by hand. */
export function manualClock(start: number): {
  now: () => number;
  set(ms: number): void;
  advance(ms: number): void;
} {
  let t = start;
  return {
    now: () => t,
    set: (ms) => {
      t = ms;
    },
    advance: (ms) => {
      t += ms;
    },
  };
}

/** Real parts for the stats module: a SQLite file, the event bus, folders, a queue set. */
export function statsFixture(clockStart: number, extra: Partial<StatsDeps> = {}) {
  const root = tmpDir('tp-stats-');
  const folders = Object.fromEntries(
    ['todo', 'doing', 'review', 'failed', 'completed'].map((f) => {
      const dir = path.join(root, 'backlog', f);
      mkdirSync(dir, { recursive: true });
      return [f, dir];
    }),
  ) as Record<'todo' | 'doing' | 'review' | 'failed' | 'completed', string>;
  const store = new SqliteStore(path.join(root, 'state', 'tp.db'));
  const events = new EventBus();
  const source = new FolderSource({ folders, extractRegex: 'task-(\\d+)' });
  const clock = manualClock(clockStart);
  const queues = QueueSet.fromConfig(configSchema.parse({}).processing);
  const stats = createStats({
    store,
    events,
    source,
    worker: { queueStats: () => queues.stats(clock.now()), processing: () => [] },
    version: '9.9.9-test',
    startedAt: clockStart - 90_000,
    clock: clock.now,
    trendDays: 7,
    ...extra,
  });
  return { root, folders, store, events, source, clock, stats };
}
