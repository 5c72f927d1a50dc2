import { existsSync } from 'node:fs';
import path from 'node:path';
import { TpError } from '../errors/index.js';
import { type AuditRecord, type AuditVerifyResult, SqliteStore } from '../store/index.js';
import { type CliIo, type GlobalOptions, load } from './context.js';

/*
 * `audit verify` and `audit export` read the store directly: no app, no worker, no router.
 * They may run beside a live service (SQLite WAL lets them read while it writes).
 */

/** Opens the configured database; undefined when there is none yet. */
function openStore(io: CliIo, opts: GlobalOptions): { store: SqliteStore; file: string } | undefined {
  const loaded = load(io, opts);
  const file = path.resolve(loaded.baseDir, loaded.config.store.path);
  if (!existsSync(file)) {
    io.err(`No database at ${file}: nothing has been recorded yet.`);
    return undefined;
  }
  return { store: new SqliteStore(file), file };
}

const WHY: Record<NonNullable<AuditVerifyResult['broken']>['reason'], string> = {
  content: 'its content was edited after it was written (its hash does not match its fields)',
  link: "a row was removed or inserted before it (its prev_hash is not the previous row's hash)",
  unchained: 'it has no hash although rows before it do (written around the chain, or its hash wiped)',
};

/** `audit verify`: 0 when the chain holds, 1 naming the first broken row. */
export async function auditVerifyCommand(io: CliIo, opts: GlobalOptions): Promise<number> {
  const opened = openStore(io, opts);
  if (!opened) return 0;
  let result: AuditVerifyResult;
  try {
    result = opened.store.verifyAudit();
  } finally {
    opened.store.close();
  }
  if (result.ok) {
    io.out(`Audit log intact: ${result.rows} rows checked, head hash ${result.headHash}`);
    io.out('Keep the head hash somewhere else: rows removed after it can only be found by comparing.');
    return 0;
  }
  const b = result.broken!;
  const task = b.taskId === undefined ? 'no task' : `task ${b.taskId}`;
  io.out(`Audit log BROKEN at row ${b.id} (${b.ts}, ${b.name}, ${task}): ${WHY[b.reason]}.`);
  io.out(`${result.rows} rows before it are intact; last intact hash ${result.headHash}`);
  return 1;
}

const RELATIVE = /^(\d+)\s*([mhdw])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** `7d`, `24h`, `30m`, `2w` back from `now`, or an ISO date/time; returns an ISO string. */
export function parseSince(value: string, now = Date.now()): string {
  const rel = RELATIVE.exec(value.trim());
  if (rel) {
    const ms = Number(rel[1]) * UNIT_MS[rel[2] as keyof typeof UNIT_MS];
    return new Date(now - ms).toISOString();
  }
  const t = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(t)) {
    throw new TpError(`--since "${value}" is neither an ISO date nor a duration like 7d or 24h.`, {
      code: 'CONFIG_INVALID',
      hint: 'Use e.g. --since 2026-01-31, --since 2026-01-31T12:00:00Z, --since 24h or --since 7d.',
    });
  }
  return new Date(t).toISOString();
}

/** One exported line: the row with its hashes, the payload parsed back to JSON. */
function exportLine(r: AuditRecord): string {
  let payload: unknown = r.payload;
  try {
    payload = JSON.parse(r.payload);
  } catch {
    // Kept as text: the row is exported as it is, even if it is not valid JSON.
  }
  return JSON.stringify({
    id: r.id,
    ts: r.ts,
    event: r.name,
    taskId: r.taskId ?? null,
    actor: r.actor ?? null,
    model: r.model ?? null,
    host: r.host ?? null,
    commitSha: r.commitSha ?? null,
    pr: r.pr ?? null,
    payload,
    prevHash: r.prevHash ?? null,
    hash: r.hash ?? null,
  });
}

/** `audit export`: the rows since a time (and of one task), one JSON object per line on stdout. */
export async function auditExportCommand(
  io: CliIo,
  opts: GlobalOptions & { since?: string; task?: string },
): Promise<number> {
  const since = opts.since ? parseSince(opts.since) : undefined;
  const opened = openStore(io, opts);
  if (!opened) return 0;
  try {
    const rows = opened.store.listAudit({
      ...(since ? { since } : {}),
      ...(opts.task ? { taskId: opts.task } : {}),
    });
    for (const r of rows) io.out(exportLine(r));
  } finally {
    opened.store.close();
  }
  return 0;
}
