import type { StatsSnapshot, TrendPoint } from '../stats/index.js';
import { clusterSection } from './cluster.js';
import { formatCount, formatMs, formatRate, escapeHtml as h } from './format.js';
import { cells, section, table } from './html.js';

/** How the page is served: with the data, or as a shell that asks for the token first. */
export interface PageOptions {
  /** Undefined: the reader has not shown the token yet (bound beyond loopback); the script fills the page. */
  snapshot: StatsSnapshot | undefined;
  trends: TrendPoint[] | undefined;
  /** The server has an API token: retry forms get a token field, the header a token box. */
  tokenRequired: boolean;
}

function foldersTable(s: StatsSnapshot): string {
  const rows = Object.entries(s.processing.folders).map(
    ([folder, n]) =>
      `<tr data-folder="${h(folder)}">${cells([
        ['folder', folder],
        ['count', formatCount(n), n],
      ])}</tr>`,
  );
  return table('folders-table', ['Folder', 'Tasks'], rows, 'no folders');
}

function runningTable(s: StatsSnapshot): string {
  const rows = s.running.map(
    (r) =>
      `<tr data-task="${h(r.taskId)}">${cells([
        ['task', r.taskId],
        ['file', r.file ?? ''],
        ['stage', r.stage ?? 'claimed', r.stage ?? 'claimed'],
        ['elapsed', formatMs(r.elapsedMs), r.elapsedMs],
        ['model', r.model ?? ''],
        ['attempt', r.attempt === undefined ? '' : String(r.attempt)],
      ])}</tr>`,
  );
  return table(
    'running-table',
    ['Task', 'File', 'Stage', 'Elapsed', 'Model', 'Attempt'],
    rows,
    'nothing running',
  );
}

function queueTable(s: StatsSnapshot): string {
  const rows = s.queues.map(
    (q) =>
      `<tr data-queue="${h(q.name)}">${cells([
        ['name', q.name],
        ['running', `${q.running}/${q.concurrency}`, q.running],
        ['waiting', formatCount(q.waiting), q.waiting],
        ['oldestWait', formatMs(q.oldestWaitMs), q.oldestWaitMs ?? ''],
        ['pastSla', formatCount(q.pastSla), q.pastSla],
      ])}</tr>`,
  );
  return table('queue-table', ['Queue', 'Running', 'Waiting', 'Oldest wait', 'Past SLA'], rows, 'no queues');
}

function failuresTable(s: StatsSnapshot, tokenRequired: boolean): string {
  const rows = s.failures.map((f) => {
    const token = tokenRequired
      ? '<input type="password" name="token" placeholder="API token" autocomplete="off" aria-label="API token">'
      : '';
    const form = `<form method="post" action="/api/tasks/${h(encodeURIComponent(f.taskId))}/retry" class="retry" data-task="${h(f.taskId)}">${token}<button type="submit">Retry</button><output class="retry-result"></output></form>`;
    return `<tr data-task="${h(f.taskId)}">${cells([
      ['task', f.taskId],
      ['file', f.file],
      ['code', String(f.code)],
      ['reason', f.reason],
      ['hint', f.hint ?? ''],
      ['retries', String(f.retryCount), f.retryCount],
      ['failedAt', f.failedAt],
    ])}<td data-field="action">${form}</td></tr>`;
  });
  return table(
    'failures-table',
    ['Task', 'File', 'Code', 'Reason', 'Hint', 'Retries', 'Failed at', ''],
    rows,
    'no failures',
  );
}

function hostsTable(s: StatsSnapshot): string {
  const rows = s.hosts.map(
    (x) =>
      `<tr data-host="${h(x.url)}" class="state-${h(x.state)}">${cells([
        ['url', x.url],
        ['state', x.state],
        ['healthy', x.healthy ? 'yes' : 'no', x.healthy],
        ['latency', formatMs(x.latencyMs), x.latencyMs ?? ''],
        ['lastError', x.lastError ?? ''],
        ['models', x.models.join(', ')],
      ])}</tr>`,
  );
  return table(
    'hosts-table',
    ['Host', 'Breaker', 'Healthy', 'Latency', 'Last error', 'Models'],
    rows,
    'no Ollama hosts',
  );
}

function modelsTable(s: StatsSnapshot): string {
  const rows = Object.entries(s.models).map(
    ([name, m]) =>
      `<tr data-model="${h(name)}">${cells([
        ['model', name],
        ['attempts', formatCount(m.attempts), m.attempts],
        ['successes', formatCount(m.successes), m.successes],
        ['failures', formatCount(m.failures), m.failures],
        ['successRate', formatRate(m.successRate), m.successRate],
        ['p50', formatMs(m.p50Ms), m.p50Ms ?? ''],
        ['p95', formatMs(m.p95Ms), m.p95Ms ?? ''],
        ['tokens', formatCount(m.tokens), m.tokens],
      ])}</tr>`,
  );
  return table(
    'models-table',
    ['Model', 'Attempts', 'Successes', 'Failures', 'Success rate', 'p50', 'p95', 'Tokens'],
    rows,
    'no attempts yet',
  );
}

function summary(s: StatsSnapshot): string {
  const p = s.processing;
  const items: Array<[string, string, string]> = [
    ['queueDepth', 'Queue depth', formatCount(s.system.queueDepth)],
    ['ollamaHealthy', 'Ollama', s.system.ollamaHealthy ? 'healthy' : 'down'],
    ['total', `Finished (${p.windowHours} h)`, formatCount(p.total)],
    ['successRate', 'Success rate', formatRate(p.successRate)],
    ['avgProcessingTime', 'Mean time', formatMs(p.avgProcessingTime * 1000)],
    ['notificationsFailed', 'Notifications failed', formatCount(s.notifications.failed)],
    ['notificationsSent', 'Notifications sent', formatCount(s.notifications.sent)],
  ];
  return `<dl id="summary">${items
    .map(([k, label, v]) => `<div data-field="${k}"><dt>${h(label)}</dt><dd>${h(v)}</dd></div>`)
    .join('')}</dl>`;
}

function trendsTable(points: TrendPoint[]): string {
  const rows = points.map(
    (p) =>
      `<tr>${cells([
        ['t', new Date(p.t).toISOString().slice(0, 16).replace('T', ' '), p.t],
        ['done', String(p.done), p.done],
        ['failed', String(p.failed), p.failed],
        ['meanSeconds', formatMs(p.meanSeconds * 1000), p.meanSeconds],
      ])}</tr>`,
  );
  return table('trends-table', ['Bucket (UTC)', 'Done', 'Failed', 'Mean time'], rows, 'no data');
}

/**
 * The whole page, server-rendered: every table is there with JavaScript off. The script
 * (`/assets/dashboard.js`) then keeps it live from `/api/events` and draws the trend chart.
 */
export function renderPage(o: PageOptions): string {
  const s = o.snapshot;
  const body = s
    ? [
        summary(s),
        section('folders', 'Tasks per folder', foldersTable(s)),
        section('running', 'Running', runningTable(s)),
        section('queue', 'Queue', queueTable(s)),
        clusterSection(s),
        section('failures', 'Failures needing attention', failuresTable(s, o.tokenRequired)),
        section('hosts', 'Ollama hosts', hostsTable(s)),
        section('models', 'Models', modelsTable(s)),
        section(
          'trends',
          'Trends',
          `<div class="range"><button type="button" data-range="24h" aria-pressed="true">24 h</button><button type="button" data-range="7d" aria-pressed="false">7 d</button></div><div id="trend-chart"></div><details><summary>Table</summary>${trendsTable(o.trends ?? [])}</details>`,
        ),
      ].join('')
    : '<p id="locked">This dashboard needs the API token. Enter it above (it is kept for this browser tab only).</p>';
  const meta = s
    ? `<p id="meta">v${h(s.system.version)} · up ${h(formatMs(s.system.uptime * 1000))} · <span id="generated">${h(s.system.generatedAt)}</span> · <span id="live">static</span></p>`
    : '<p id="meta"><span id="live">static</span></p>';
  const tokenBox = o.tokenRequired
    ? '<form id="token-form"><input id="token" type="password" placeholder="API token" autocomplete="off" aria-label="API token"><button type="submit">Use token</button></form>'
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ticket-processor dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/uPlot.min.css">
<link rel="stylesheet" href="/assets/dashboard.css">
<script src="/assets/uPlot.iife.min.js" defer></script>
<script src="/assets/dashboard.js" defer></script>
</head>
<body data-token-required="${o.tokenRequired ? '1' : '0'}" data-locked="${s ? '0' : '1'}">
<header><h1>ticket-processor</h1>${tokenBox}</header>
<main>${body}</main>
<footer>${meta}</footer>
</body>
</html>
`;
}
