import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseOriginalTask } from '../../tasks/index.js';
import { differs, type MigrateItem, same } from './types.js';

const STATES = ['todo', 'doing', 'review', 'failed', 'completed'] as const;

export interface FolderCounts {
  [state: string]: number;
}

const isTask = (n: string) => n.endsWith('.md');

/**
 * Counts the task files per state folder and parses each with our parser: a file the original
 * accepted and we reject would go to failed/ at the first start, so it is listed with its line.
 */
export function inspectFolders(
  dir: string,
  folders: Record<string, string>,
  extractRegex: string,
): { counts: FolderCounts; items: MigrateItem[] } {
  const items: MigrateItem[] = [];
  const counts: FolderCounts = {};
  for (const state of STATES) {
    const rel = folders[state] ?? `backlog/${state}`;
    const abs = path.resolve(dir, rel);
    if (!existsSync(abs)) {
      items.push(same('folders', `${rel}: missing; created at start`));
      continue;
    }
    const names = readdirSync(abs).filter(isTask).sort();
    counts[state] = names.length;
    const problems: MigrateItem[] = [];
    // Only queued and running tasks are parsed again here; the others are history.
    if (state === 'todo' || state === 'doing') {
      for (const name of names) {
        const res = parseOriginalTask(readFileSync(path.join(abs, name), 'utf8'), {
          fileName: name,
          extractRegex,
        });
        if (res.ok) continue;
        for (const p of res.problems) {
          problems.push(
            differs(
              'task',
              `${path.join(rel, name)}${p.line ? `:${p.line}` : ''}: ${p.message}`,
              'fix the file before `start`: a task our parser rejects goes to failed/ with this message',
            ),
          );
        }
      }
    }
    const bad = new Set(problems.map((p) => p.message.split(':')[0])).size;
    const summary = `${rel}: ${names.length} task file(s)${bad ? `, ${bad} rejected by the task parser` : ''}`;
    if (bad) items.push(differs('folders', summary, 'see the task lines below'));
    else if (state === 'doing' && names.length > 0)
      items.push(
        differs(
          'folders',
          `${summary}: interrupted in the original`,
          'nothing to do: `start` runs them again first',
        ),
      );
    else items.push(same('folders', summary));
    items.push(...problems);
  }
  items.push(...inspectErrorLogs(dir, folders.failed ?? 'backlog/failed'));
  items.push(...inspectClones(dir, folders.repos ?? 'repos'));
  return { counts, items };
}

/** The original's `.error.log` was JSON; ours is readable text with the JSON beside it. */
function inspectErrorLogs(dir: string, failed: string): MigrateItem[] {
  const abs = path.resolve(dir, failed);
  const logs = existsSync(abs) ? readdirSync(abs).filter((n) => n.endsWith('.error.log')) : [];
  const old = logs.length > 0 ? `${failed}: ${logs.length} .error.log file(s) in the original's JSON; ` : '';
  return [
    differs(
      'failed',
      `${old}a new failure writes a readable <task>.error.log and <task>.error.json (timestamp, filename, error, stderr as in the original's log)`,
      'point scripts that parse .error.log as JSON at .error.json',
    ),
  ];
}

/** The original cloned a repository per task under repos/ with the token in the remote URL. */
function inspectClones(dir: string, repos: string): MigrateItem[] {
  const abs = path.resolve(dir, repos);
  const items: MigrateItem[] = [];
  for (const name of existsSync(abs) ? readdirSync(abs).sort() : []) {
    const cfg = path.join(abs, name, '.git', 'config');
    if (!existsSync(cfg)) continue;
    const text = readFileSync(cfg, 'utf8');
    if (/url\s*=\s*\w+:\/\/[^/\s]*@/.test(text)) {
      items.push(
        differs(
          'repos',
          `${path.join(repos, name, '.git', 'config')}: the remote URL carries a token (the original put it there); ticket-processor never stores one in a URL`,
          `delete the old clone (or \`git -C ${path.join(repos, name)} remote set-url origin <url without credentials>\`) and rotate the token`,
        ),
      );
    }
  }
  return items;
}
