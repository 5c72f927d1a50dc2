import path from 'node:path';
import { loadConfig } from '../config/index.js';
import { TpError } from '../errors/index.js';
import { logDirectory } from '../observability/index.js';
import type { CliIo, GlobalOptions } from './context.js';
import {
  COMPONENTS,
  type LogComponent,
  type LogEntry,
  type LogFilter,
  levelRank,
  matches,
  parseLine,
  pretty,
} from './logs/entries.js';
import { currentFiles, readLines, rotatedSet } from './logs/files.js';
import { FileTail } from './logs/follow.js';

export interface LogsOptions extends GlobalOptions {
  task?: string;
  level?: string;
  component?: string;
  follow?: boolean;
  json?: boolean;
  lines?: string;
  /** Poll interval of --follow in ms (tests shorten it). */
  pollMs?: number;
  /** Resolves when --follow should stop; default SIGINT/SIGTERM. */
  until?: Promise<unknown>;
}

function filterFrom(o: LogsOptions): LogFilter {
  if (o.level !== undefined && levelRank(o.level) < 0)
    throw new TpError(`Unknown level "${o.level}".`, {
      code: 'CONFIG_INVALID',
      hint: 'Use trace, debug, info, warn, error or fatal.',
    });
  if (o.component !== undefined && !COMPONENTS.includes(o.component as LogComponent))
    throw new TpError(`Unknown component "${o.component}".`, {
      code: 'CONFIG_INVALID',
      hint: `Use one of ${COMPONENTS.join(', ')}.`,
    });
  return {
    ...(o.task !== undefined ? { taskId: o.task } : {}),
    ...(o.level !== undefined ? { minLevel: o.level } : {}),
    ...(o.component !== undefined ? { component: o.component as LogComponent } : {}),
  };
}

/** Files in time order when every line has a timestamp; else file after file. */
function merged(groups: LogEntry[][]): LogEntry[] {
  const all = groups.flat();
  if (all.every((e) => e.timestamp))
    all.sort((a, b) => (a.timestamp! < b.timestamp! ? -1 : a.timestamp! > b.timestamp! ? 1 : 0));
  return all;
}

/** `logs`: the service's log files, filtered by task, level and component; pretty unless --json. */
export async function logsCommand(io: CliIo, o: LogsOptions): Promise<number> {
  const filter = filterFrom(o);
  const loaded = loadConfig({ cwd: io.cwd, env: io.env, ...(o.config ? { configPath: o.config } : {}) });
  const dir = logDirectory(loaded.baseDir, loaded.config.logging.directory);
  const names = currentFiles(filter.component);
  const render = (e: LogEntry) => (o.json || !e.json ? e.raw : pretty(e));
  const limit = o.lines === undefined ? undefined : Number.parseInt(o.lines, 10);
  const printAll = (entries: LogEntry[]) => {
    const selected = entries.filter((e) => matches(e, filter));
    for (const e of limit && limit > 0 ? selected.slice(-limit) : selected) io.out(render(e));
  };

  if (!o.follow) {
    const groups = names.map((n) => rotatedSet(dir, n).flatMap((f) => readLines(f).map(parseLine)));
    printAll(merged(groups));
    return 0;
  }
  const tails = names.map(
    (n) =>
      new FileTail(path.join(dir, n), (l) => {
        const e = parseLine(l);
        if (matches(e, filter)) io.out(render(e));
      }),
  );
  const groups = names.map((n, i) => [
    ...rotatedSet(dir, n)
      .filter((f) => f !== path.join(dir, n))
      .flatMap((f) => readLines(f).map(parseLine)),
    ...tails[i]!.open().map(parseLine),
  ]);
  printAll(merged(groups));
  const timer = setInterval(() => {
    for (const t of tails) t.poll();
  }, o.pollMs ?? 250);
  await (o.until ??
    new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    }));
  clearInterval(timer);
  for (const t of tails) t.poll();
  for (const t of tails) t.close();
  return 0;
}
