/*
 * Log lines as the LogHub writes them: one JSON object per line (`level` label, `timestamp`,
 * `component`, fields such as `taskId`, `message`), or, with `logging.format: pretty`, text
 * that is filtered as text.
 */

/** Components a user can ask for; `server` lines live in processor.log, `error` is error.log. */
export const COMPONENTS = ['processor', 'watcher', 'git', 'server', 'error'] as const;
export type LogComponent = (typeof COMPONENTS)[number];

export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/** Rank of a level name (pino's order); `warning` is the config spelling of `warn`. */
export function levelRank(level: string): number {
  const l = level.toLowerCase();
  return LEVELS.indexOf((l === 'warning' ? 'warn' : l) as (typeof LEVELS)[number]);
}

export interface LogFilter {
  taskId?: string;
  minLevel?: string;
  component?: LogComponent;
}

/** One line read from a file: parsed when it is JSON, else the text. */
export interface LogEntry {
  raw: string;
  json?: Record<string, unknown>;
  /** ISO time, for merging files in time order. */
  timestamp?: string;
}

export function parseLine(raw: string): LogEntry {
  if (raw.startsWith('{')) {
    try {
      const json = JSON.parse(raw) as Record<string, unknown>;
      const ts = typeof json.timestamp === 'string' ? json.timestamp : undefined;
      return { raw, json, ...(ts ? { timestamp: ts } : {}) };
    } catch {
      // A line cut by a crash: shown as text.
    }
  }
  const ts = /^(\d{4}-\d\d-\d\dT[\d:.]+Z)\s/.exec(raw)?.[1];
  return { raw, ...(ts ? { timestamp: ts } : {}) };
}

/** The id as the loggers write it: `42`; `task-42` is accepted too. */
const normaliseId = (id: string) => id.replace(/^task-/i, '');

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function matches(entry: LogEntry, f: LogFilter): boolean {
  const j = entry.json;
  if (j) {
    if (f.taskId !== undefined && normaliseId(String(j.taskId ?? '')) !== normaliseId(f.taskId)) return false;
    if (f.minLevel && levelRank(String(j.level ?? '')) < levelRank(f.minLevel)) return false;
    if (f.component === 'server' && j.component !== 'server') return false;
    return true;
  }
  // Pretty lines: `<time> LEVEL [component] message {"taskId":"42",…}`.
  const text = entry.raw;
  if (f.taskId !== undefined) {
    const re = new RegExp(`"taskId":"?(?:task-)?${escapeRe(normaliseId(f.taskId))}"?[,}]`, 'i');
    if (!re.test(text)) return false;
  }
  if (f.minLevel) {
    const level = /\b(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\b/.exec(text)?.[1];
    if (level && levelRank(level) < levelRank(f.minLevel)) return false;
  }
  if (f.component === 'server' && !text.includes('[server]')) return false;
  return true;
}

const SHOWN = new Set([
  'level',
  'timestamp',
  'component',
  'taskId',
  'message',
  'msg',
  'time',
  'pid',
  'hostname',
]);

function value(v: unknown): string {
  const s = typeof v === 'string' ? (/[\s"=]/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v);
  return s.length > 160 ? `${s.slice(0, 157)}...` : s;
}

/** `time LEVEL component #task message key=value …`; text lines unchanged. */
export function pretty(entry: LogEntry): string {
  const j = entry.json;
  if (!j) return entry.raw;
  const level = String(j.level ?? '')
    .toUpperCase()
    .padEnd(5);
  const task = j.taskId === undefined ? '' : ` #${String(j.taskId)}`;
  const fields = Object.entries(j)
    .filter(([k, v]) => !SHOWN.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${value(v)}`)
    .join(' ');
  return `${entry.timestamp ?? ''} ${level} ${String(j.component ?? '-').padEnd(9)}${task} ${String(
    j.message ?? j.msg ?? '',
  )}${fields ? `  ${fields}` : ''}`.trimStart();
}
