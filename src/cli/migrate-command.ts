import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type LoadedConfig, loadConfig } from '../config/index.js';
import { classify, TpError } from '../errors/index.js';
import type { CliIo } from './context.js';
import { inspectEnv } from './migrate/env-file.js';
import { inspectFolders } from './migrate/folders.js';
import { inspectProcessFiles } from './migrate/process-files.js';
import { inspectSettings } from './migrate/settings.js';
import { differs, type MigrateItem } from './migrate/types.js';

/** Top-level sections of the original's config.json. */
const ORIGINAL_SECTIONS = ['ollama', 'processing', 'folders', 'webhook', 'git', 'logging', 'taskIdFormat'];
const ORIGINAL_MARKERS = [
  'ecosystem.config.js',
  'ecosystem.config.cjs',
  'ecosystem.config.json',
  'scripts/watcher.js',
];

/** What `migrate --json` prints. */
export interface MigrateReport {
  dir: string;
  /** .env names with printable values (`***set***` for secrets). */
  env: Record<string, string>;
  /** Task files per state folder. */
  counts: Record<string, number>;
  items: MigrateItem[];
}

function readRawConfig(dir: string): Record<string, unknown> | undefined {
  const file = path.join(dir, 'config.json');
  if (!existsSync(file)) return undefined;
  try {
    const json = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return json && typeof json === 'object' && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Reads an original install and lists what behaves differently here. Writes nothing. */
export function inspectOriginal(dir: string, env: Record<string, string | undefined>): MigrateReport {
  const raw = readRawConfig(dir);
  const isOriginal =
    (raw !== undefined && ORIGINAL_SECTIONS.some((k) => k in raw)) ||
    ORIGINAL_MARKERS.some((m) => existsSync(path.join(dir, m)));
  if (!isOriginal) {
    throw new TpError(
      `${dir} is not an install of the original ticket processor: no config.json with its sections (ollama, folders, git, …), no ecosystem.config.js, no scripts/watcher.js.`,
      {
        code: 'CONFIG_INVALID',
        hint: "Pass the folder that holds the original's config.json: `ticket-processor migrate /path/to/original`.",
      },
    );
  }
  const items: MigrateItem[] = [];
  let loaded: LoadedConfig | undefined;
  // Empty variables in the shell must not hide the .env values (loadConfig lets env win).
  const shellEnv = Object.fromEntries(Object.entries(env).filter(([, v]) => v));
  try {
    loaded = loadConfig({
      cwd: dir,
      env: shellEnv,
      ...(raw ? { configPath: path.join(dir, 'config.json') } : {}),
    });
  } catch (err) {
    const e = classify(err);
    items.push(differs('config', e.message, e.hint ?? 'fix config.json'));
  }
  const envReport = inspectEnv(dir);
  if (loaded) items.push(...inspectSettings(loaded, raw ?? {}));
  items.push(...envReport.items);
  items.push(...inspectProcessFiles(dir));
  const folders = (loaded?.config.folders ?? raw?.folders ?? {}) as Record<string, string>;
  const regex = loaded?.config.taskIdFormat.extractRegex ?? 'task-(\\d+)';
  const { counts, items: folderItems } = inspectFolders(dir, folders, regex);
  items.push(...folderItems);
  return { dir, env: envReport.masked, counts, items };
}

/** `migrate [dir]`: ✔ same / ⚠ differs + → fix, one line per finding; exit 0 (2 when dir is not an original install). */
export async function migrateCommand(
  io: CliIo,
  dir: string | undefined,
  opts: { json?: boolean },
): Promise<number> {
  const root = path.resolve(io.cwd, dir ?? '.');
  const report = inspectOriginal(root, io.env);
  if (opts.json) {
    io.out(JSON.stringify(report, null, 2));
    return 0;
  }
  io.out(`Original install: ${root}`);
  for (const item of report.items) {
    io.out(`${item.status === 'same' ? '✔' : '⚠'} ${item.topic}: ${item.message}`);
    if (item.fix) io.out(`    → ${item.fix}`);
  }
  const n = report.items.filter((i) => i.status === 'differs').length;
  io.out(`\n${n} difference(s) to look at; nothing was changed.`);
  return 0;
}
