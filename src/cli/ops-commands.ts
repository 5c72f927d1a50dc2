import type { App } from '../app.js';
import { TpError } from '../errors/index.js';
import { LocalForge } from '../forges/local/index.js';
import { completeTask } from '../pipeline/completion.js';
import { QueueSet, type QueueStats, queueSnapshot } from '../queue/index.js';
import type { ClusterStats } from '../stats/index.js';
import { type CliIo, type GlobalOptions, withApp } from './context.js';
import { table } from './table.js';

/** `status`: tasks per folder, what runs, what waits and why. */
export async function statusCommand(io: CliIo, opts: GlobalOptions & { json?: boolean }): Promise<number> {
  return withApp(io, opts, async (app) => {
    const counts = await app.source.counts();
    const running = app.store.listRuns('running');
    const queues = await queueSnapshot({
      source: app.source,
      store: app.store,
      queues: QueueSet.fromConfig(app.loaded.config.processing),
      now: Date.now(),
    });
    // This process runs no intake: what the coordinator holds back is what waits in todo/.
    const held = queues.reduce((sum, q) => sum + q.waiting, 0);
    if (opts.json) {
      // The stats snapshot (the numbers of /api/stats) around the earlier fields. This process
      // runs no worker: what runs and waits comes from the store and the folders, as above.
      const { running: _live, queues: _idle, cluster, ...stats } = await app.stats.snapshot();
      io.out(
        JSON.stringify(
          {
            counts,
            running: running.map((r) => ({ taskId: r.taskId, stage: r.stage })),
            queues,
            ...stats,
            ...(cluster ? { cluster: { ...cluster, coordinatorHeld: held } } : {}),
          },
          null,
          2,
        ),
      );
      return 0;
    }
    io.out(table([['FOLDER', 'TASKS'], ...Object.entries(counts).map(([k, v]) => [k, String(v)])]));
    io.out(`\nQueues:\n${queueTable(queues)}`);
    if (app.loaded.config.queue.backend === 'bullmq') {
      const { cluster } = await app.stats.snapshot();
      if (cluster) io.out(`\n${clusterText({ ...cluster, coordinatorHeld: held })}`);
    }
    if (running.length > 0) {
      io.out('\nRunning (or interrupted, resumed at next start):');
      io.out(
        table([
          ['TASK', 'STAGE', 'ATTEMPTS', 'SINCE'],
          ...running.map((r) => [r.taskId, r.stage ?? '-', String(r.attempts), r.updatedAt]),
        ]),
      );
    }
    const live = await liveOllamaHealth(app);
    if (live) {
      io.out('\nOllama hosts (from the running service):');
      io.out(
        table([
          ['HOST', 'STATE', 'LATENCY', 'LAST ERROR'],
          ...live.hosts.map((h) => [
            h.url,
            h.state,
            h.latencyMs === undefined ? '-' : `${h.latencyMs} ms`,
            h.lastError ?? '',
          ]),
        ]),
      );
      if (live.waiting) io.out(`Waiting: ${live.waiting}`);
    }
    const open = app.store.listPullRequests().filter((p) => p.state === 'open');
    if (open.length > 0)
      io.out(`\nOpen pull requests: ${open.map((p) => `#${p.number} (${p.head})`).join(', ')}`);
    return 0;
  });
}

/** Per queue; PAST SLA = waiting longer than their priority's SLA now, RAISED = SLA steps taken. */
function queueTable(queues: QueueStats[]): string {
  const wait = (ms: number | undefined) => {
    if (ms === undefined) return '-';
    const min = Math.floor(ms / 60_000);
    return min < 60 ? `${min} min` : `${Math.floor(min / 60)} h ${min % 60} min`;
  };
  return table([
    ['QUEUE', 'CONCURRENCY', 'RUNNING', 'WAITING', 'OLDEST WAIT', 'PAST SLA', 'RAISED'],
    ...queues.map((q) => [
      q.name,
      String(q.concurrency),
      String(q.running),
      String(q.waiting),
      wait(q.oldestWaitMs),
      String(q.pastSla),
      String(q.raised),
    ]),
  ]);
}

/** `queue.backend: bullmq`: BullMQ's counts per model queue and the live workers, read from Redis. */
function clusterText(c: ClusterStats): string {
  const lines = [
    `Queues & workers (Redis; tasks held by the coordinator, not yet jobs: ${c.coordinatorHeld}):`,
  ];
  if (c.error) lines.push(`Redis: ${c.error}`);
  lines.push(
    table([
      ['QUEUE', 'MODEL', 'WAITING', 'ACTIVE', 'DELAYED', 'FAILED', 'COMPLETED'],
      ...c.queues.map((q) => [
        q.queue,
        q.model,
        String(q.waiting),
        String(q.active),
        String(q.delayed),
        String(q.failed),
        String(q.completed),
      ]),
    ]),
  );
  for (const model of c.unserved) lines.push(`No live worker serves ${model}: its jobs wait.`);
  if (c.workers.length === 0) lines.push(c.error ? '' : 'No live workers.');
  else
    lines.push(
      table([
        ['WORKER', 'HOST', 'MODELS', 'ACTIVE', 'PROCESSED', 'LAST SEEN'],
        ...c.workers.map((w) => [
          w.name,
          w.hostname,
          w.models.join(','),
          `${w.active}/${w.concurrency}`,
          String(w.processed),
          `${Math.round(w.lastSeenAgoMs / 1000)} s ago`,
        ]),
      ]),
    );
  return lines.filter(Boolean).join('\n');
}

interface LiveOllama {
  hosts: Array<{ url: string; state: string; latencyMs?: number; lastError?: string }>;
  waiting?: string;
}

/** Breaker states and waits live in the running `start` process; ask its /health/ollama, if it serves one. */
async function liveOllamaHealth(app: App): Promise<LiveOllama | undefined> {
  const { webhook } = app.loaded.config;
  if (!webhook.enabled || webhook.port === 0) return undefined;
  try {
    const res = await fetch(`http://${webhook.host}:${webhook.port}/health/ollama`, {
      signal: AbortSignal.timeout(1000),
    });
    // 503 is the answer while every host is down: its body is exactly what we want to show.
    if (!res.ok && res.status !== 503) return undefined;
    const body = (await res.json()) as Partial<LiveOllama>;
    return Array.isArray(body.hosts)
      ? { hosts: body.hosts, ...(body.waiting ? { waiting: body.waiting } : {}) }
      : undefined;
  } catch {
    return undefined;
  }
}

function localForge(forge: unknown): LocalForge {
  if (!(forge instanceof LocalForge)) {
    throw new TpError('`pr` commands work with the local forge only.', {
      code: 'CONFIG_INVALID',
      hint: 'Review and merge on your forge; its webhook completes the task.',
    });
  }
  return forge;
}

/** `pr list|show|merge|close` for the local forge. */
export async function prCommand(
  io: CliIo,
  action: string,
  num: string | undefined,
  opts: GlobalOptions,
): Promise<number> {
  return withApp(io, opts, async (app) => {
    const forge = localForge(app.forge);
    if (action === 'list') {
      const prs = app.store.listPullRequests();
      if (prs.length === 0) io.out('No pull requests yet.');
      else
        io.out(
          table([
            ['#', 'STATE', 'BRANCH', 'BASE', 'TITLE'],
            ...prs.map((p) => [String(p.number), p.state, p.head, p.base, p.title]),
          ]),
        );
      return 0;
    }
    const n = Number(num);
    const pr = Number.isInteger(n) ? app.store.getPullRequest(n) : undefined;
    if (!pr)
      throw new TpError(`No pull request #${num ?? ''}.`, {
        code: 'FORGE_NOT_FOUND',
        hint: 'See `ticket-processor pr list`.',
      });
    if (action === 'show') {
      io.out(
        `#${pr.number} ${pr.title}\nstate: ${pr.state}\nbranch: ${pr.head} → ${pr.base}\nrepository: ${pr.repo}\n\n${pr.body}`,
      );
      for (const c of app.store.listComments(pr.number)) io.out(`\n--- comment ---\n${c}`);
      const review = app.store.listReviewComments(pr.number);
      if (review.length > 0) io.out(`\n--- review comments (${review.length}) ---`);
      for (const c of review)
        io.out(`${c.path}${c.line ? `:${c.line}` : ''}: ${c.body.replace(/\n+/g, ' ')}`);
      return 0;
    }
    if (action === 'merge') {
      await forge.merge(pr.number);
      io.out(`Merged #${pr.number} (${pr.head} → ${pr.base}).`);
      if (pr.taskId) {
        const file = await completeTask(app.completion, pr.taskId, { prNumber: pr.number, via: 'cli' });
        if (file) io.out(`Task ${pr.taskId} completed: ${file}`);
      }
      return 0;
    }
    if (action === 'close') {
      await forge.close(pr.number);
      io.out(`Closed #${pr.number}.`);
      return 0;
    }
    throw new TpError(`Unknown pr action "${action}".`, {
      code: 'CONFIG_INVALID',
      hint: 'Use list, show, merge or close.',
    });
  });
}
