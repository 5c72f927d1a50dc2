import type { ClusterView } from '../queue/bullmq/cluster-view.js';
import type { WorkerInfo } from '../queue/bullmq/contracts.js';
import { redact } from '../secrets/index.js';
import type { ClusterStats, ClusterWorker } from './types.js';

/** How long a snapshot waits for Redis: the dashboard and a scrape must not hang on an outage. */
export const CLUSTER_READ_TIMEOUT_MS = 2_000;

/** What the stats module reads of the cluster (a `ClusterView`, or anything shaped like one). */
export type ClusterSource = Pick<ClusterView, 'queueCounts' | 'workers'>;

// Control characters from Redis must not reach a terminal (`status`) as escape sequences.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const text = (v: unknown, max = 200) => (typeof v === 'string' ? v.slice(0, max).replace(CONTROL, '?') : '');
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const iso = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : '');

/** Heartbeats come from Redis: keep the fields we show, typed and bounded. */
function worker(w: WorkerInfo, now: number): ClusterWorker {
  const strings = (v: unknown) =>
    Array.isArray(v) ? v.filter((x) => typeof x === 'string').map((x) => text(x)) : [];
  const lastSeen = num(w.lastSeen);
  return {
    name: text(w.name, 64),
    hostname: text(w.hostname),
    pid: num(w.pid),
    models: strings(w.models),
    hosts: strings(w.hosts),
    concurrency: num(w.concurrency),
    active: num(w.active),
    processed: num(w.processed),
    version: text(w.version, 40),
    startedAt: iso(num(w.startedAt)),
    lastSeen: iso(lastSeen),
    lastSeenAgoMs: lastSeen > 0 ? Math.max(0, now - lastSeen) : 0,
  };
}

/**
 * The cluster part of a snapshot. Never throws: when Redis does not answer within
 * `timeoutMs`, the counts are empty and `error` says why (the rest of the page still shows).
 */
export async function clusterStats(
  view: ClusterSource,
  held: number,
  now: number,
  opts: { secrets?: readonly string[]; timeoutMs?: number } = {},
): Promise<ClusterStats> {
  const timeoutMs = opts.timeoutMs ?? CLUSTER_READ_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const [queues, workers] = await Promise.race([
      Promise.all([view.queueCounts(), view.workers()]),
      timeout,
    ]);
    const shown = workers.map((w) => worker(w, now));
    const served = new Set(shown.flatMap((w) => w.models));
    const counts = queues.map((q) => ({ ...q, queue: text(q.queue), model: text(q.model) }));
    return {
      backend: 'bullmq',
      coordinatorHeld: held,
      queues: counts,
      workers: shown,
      unserved: counts.filter((q) => q.waiting > 0 && !served.has(q.model)).map((q) => q.model),
    };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return {
      backend: 'bullmq',
      coordinatorHeld: held,
      queues: [],
      workers: [],
      unserved: [],
      error: redact(message, [...(opts.secrets ?? [])]),
    };
  } finally {
    clearTimeout(timer);
  }
}
