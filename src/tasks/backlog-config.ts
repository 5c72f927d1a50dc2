import { LineCounter, parseDocument } from 'yaml';
import { TpError } from '../errors/index.js';

/** The parts of `backlog/config.yml` the pipeline needs, plus the file text as read. */
export interface BacklogProjectConfig {
  statuses: string[];
  defaultStatus: string;
  taskPrefix: string;
  raw: string;
}

const DEFAULT_STATUSES = ['To Do', 'In Progress', 'Done'];

/**
 * Reads `backlog/config.yml` (as `backlog init` writes it). Missing keys take Backlog.md's
 * defaults; invalid YAML or a non-list `statuses` throws `CONFIG_INVALID` naming the line.
 */
export function parseBacklogConfig(text: string): BacklogProjectConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), { lineCounter, prettyErrors: false });
  const err = doc.errors[0];
  if (err) {
    const line = lineCounter.linePos(err.pos[0]).line;
    throw new TpError(`backlog/config.yml is not valid YAML at line ${line}: ${err.message.split('\n')[0]}`, {
      code: 'CONFIG_INVALID',
      hint: 'Fix the line, or run `backlog config` to rewrite the file.',
      details: { line },
    });
  }
  const data = (doc.toJS() ?? {}) as Record<string, unknown>;
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new TpError('backlog/config.yml must be a mapping of "key: value" lines', {
      code: 'CONFIG_INVALID',
    });
  }
  let statuses = DEFAULT_STATUSES;
  if (data.statuses !== undefined && data.statuses !== null) {
    if (!Array.isArray(data.statuses) || data.statuses.length === 0) {
      throw new TpError(
        'backlog/config.yml: "statuses" must be a non-empty list such as ["To Do", "In Progress", "Done"]',
        {
          code: 'CONFIG_INVALID',
        },
      );
    }
    statuses = data.statuses.map((s) => String(s).trim()).filter(Boolean);
  }
  const defaultStatus =
    typeof data.default_status === 'string' && data.default_status.trim()
      ? data.default_status.trim()
      : (statuses[0] ?? 'To Do');
  const taskPrefix =
    typeof data.task_prefix === 'string' && data.task_prefix.trim() ? data.task_prefix.trim() : 'task';
  return { statuses, defaultStatus, taskPrefix, raw: text };
}

/** Pipeline moments that write a Backlog.md status. */
export type BacklogStage = 'claimed' | 'review' | 'done';

/**
 * The configured status for a pipeline moment, matched by name case-insensitively:
 * claimed → "In Progress" (else the second status), review → a status containing
 * "review" (else undefined: the caller writes a note instead), done → "Done" (else the
 * last status).
 */
export function backlogStatusFor(config: BacklogProjectConfig, stage: BacklogStage): string | undefined {
  const find = (re: RegExp) => config.statuses.find((s) => re.test(s));
  switch (stage) {
    case 'claimed':
      return find(/^in[ -]?progress$/i) ?? find(/progress|doing/i) ?? config.statuses[1];
    case 'review':
      return find(/review/i);
    case 'done':
      return find(/^done$/i) ?? find(/done|complete/i) ?? config.statuses[config.statuses.length - 1];
  }
}
