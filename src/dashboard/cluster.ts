import type { ClusterStats, StatsSnapshot } from '../stats/index.js';
import { formatCount, formatMs, escapeHtml as h } from './format.js';
import { cells, section, table } from './html.js';

/*
 * "Queues & workers": the distributed mode (`queue.backend: bullmq`) as Redis shows it. Queue,
 * model and worker names come from Redis, so they are escaped like any untrusted text (cells()).
 */

const STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;

function queuesTable(c: ClusterStats): string {
  const rows = c.queues.map(
    (q) =>
      `<tr data-queue="${h(q.queue)}">${cells([
        ['queue', q.queue],
        ['model', q.model === '*' ? '* (command agents)' : q.model, q.model],
        ...STATES.map((k): [string, string, number] => [k, formatCount(q[k]), q[k]]),
      ])}</tr>`,
  );
  return table(
    'cluster-queues-table',
    ['Queue', 'Model', 'Waiting', 'Active', 'Delayed', 'Failed', 'Completed'],
    rows,
    'no jobs yet',
  );
}

function workersTable(c: ClusterStats): string {
  const rows = c.workers.map(
    (w) =>
      `<tr data-worker="${h(w.name)}">${cells([
        ['name', w.name],
        ['host', w.pid > 0 ? `${w.hostname} (pid ${w.pid})` : w.hostname],
        ['models', w.models.join(', ')],
        ['active', `${w.active}/${w.concurrency}`, w.active],
        ['processed', formatCount(w.processed), w.processed],
        ['lastSeen', `${formatMs(w.lastSeenAgoMs)} ago`, w.lastSeenAgoMs],
        ['version', w.version],
      ])}</tr>`,
  );
  return table(
    'cluster-workers-table',
    ['Worker', 'Host', 'Models', 'Active', 'Processed', 'Last seen', 'Version'],
    rows,
    'no live workers',
  );
}

/** The panel, or nothing under the memory backend (the snapshot has no cluster part). */
export function clusterSection(s: StatsSnapshot): string {
  const c = s.cluster;
  if (!c) return '';
  const error = c.error ? `<p class="cluster-error" data-field="error">Redis: ${h(c.error)}</p>` : '';
  const held = `<p data-field="coordinatorHeld" data-value="${c.coordinatorHeld}">Held by the coordinator (not yet jobs): ${h(formatCount(c.coordinatorHeld))}</p>`;
  const unserved =
    c.unserved.length > 0
      ? `<p class="cluster-error" data-field="unserved">No live worker serves ${h(c.unserved.join(', '))}: its jobs wait.</p>`
      : '';
  return section(
    'cluster',
    'Queues & workers',
    `${error}${held}${unserved}${queuesTable(c)}${workersTable(c)}`,
  );
}
