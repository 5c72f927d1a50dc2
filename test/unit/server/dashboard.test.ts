import { describe, expect, it } from 'vitest';
import type { RetryOutcome } from '../../../src/dashboard/index.js';
import { DASHBOARD_CSP } from '../../../src/server/dashboard-routes.js';
import { dashboardDeps, EVIL, sampleSnapshot } from './dashboard-support.js';
import { harness } from './helpers.js';

const TOKEN = 'dash-token-123';
const bearer = { authorization: `Bearer ${TOKEN}` };

function retrying(outcomes: Record<string, RetryOutcome>) {
  const calls: string[] = [];
  return {
    calls,
    retryTask: async (id: string): Promise<RetryOutcome> => {
      calls.push(id);
      return outcomes[id] ?? { status: 'unknown', taskId: id };
    },
  };
}

describe('dashboard page', () => {
  it('serves / and /dashboard with every panel, escaped, under a strict CSP', async () => {
    const h = harness({ dashboard: dashboardDeps() });
    for (const url of ['/', '/dashboard']) {
      const res = await h.server.app.inject({ url });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['content-security-policy']).toBe(DASHBOARD_CSP);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      const html = res.body;
      for (const id of ['folders', 'running', 'queue', 'failures', 'hosts', 'models', 'trends', 'summary'])
        expect(html).toContain(`id="${id}"`);
      // The untrusted strings are there, as text only.
      expect(html).not.toContain('<script>alert');
      expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
      // No inline script or style: the CSP would block it, and nothing needs it.
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html).not.toMatch(/\sstyle=|\son\w+=/);
      expect(html).toContain('<script src="/assets/dashboard.js" defer></script>');
    }
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(DASHBOARD_CSP).not.toContain('unsafe-inline');
  });

  it('renders the tables from the snapshot (usable with JavaScript off)', async () => {
    const h = harness({ dashboard: dashboardDeps() });
    const html = (await h.server.app.inject({ url: '/dashboard' })).body;
    expect(html).toMatch(
      /<tr data-folder="review"><td data-field="folder">review<\/td><td data-field="count" data-value="3">3<\/td>/,
    );
    expect(html).toContain('<td data-field="stage" data-value="agent">agent</td>');
    expect(html).toContain('<td data-field="successRate" data-value="0.75">75.0%</td>');
    expect(html).toContain('<td data-field="p95" data-value="12300">12.3 s</td>');
    expect(html).toContain('<td data-field="tokens" data-value="12345">12,345</td>');
    expect(html).toContain('<td data-field="oldestWait" data-value="65000">1m 05s</td>');
    expect(html).toContain('<td data-field="hint">Make the task more specific.</td>');
    expect(html).toContain('<form method="post" action="/api/tasks/7/retry" class="retry" data-task="7">');
    expect(html).toMatch(/data-field="notificationsFailed"><dt>Notifications failed<\/dt><dd>2<\/dd>/);
  });

  it('serves its script, stylesheet and uPlot from the package, nothing else', async () => {
    const h = harness({ dashboard: dashboardDeps() });
    const js = await h.server.app.inject({ url: '/assets/dashboard.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.body).toContain("new EventSource('/api/events'");
    const uplot = await h.server.app.inject({ url: '/assets/uPlot.iife.min.js' });
    expect(uplot.statusCode).toBe(200);
    expect(uplot.body).toContain('uPlot');
    expect((await h.server.app.inject({ url: '/assets/uPlot.min.css' })).headers['content-type']).toMatch(
      /^text\/css/,
    );
    for (const bad of [
      '/assets/..%2Fpackage.json',
      '/assets/toString',
      '/assets/constructor',
      '/assets/x.js',
    ])
      expect((await h.server.app.inject({ url: bad })).statusCode).toBe(404);
  });

  it('is all 404 when monitoring.dashboard is false', async () => {
    const h = harness({ dashboard: dashboardDeps({ enabled: false, ...retrying({}) }) });
    for (const url of ['/', '/dashboard', '/api/stats', '/api/events', '/assets/dashboard.js'])
      expect((await h.server.app.inject({ url })).statusCode).toBe(404);
    expect((await h.server.app.inject({ method: 'POST', url: '/api/tasks/7/retry' })).statusCode).toBe(404);
    // The rest of the server is unaffected.
    expect((await h.server.app.inject({ url: '/health' })).statusCode).toBe(200);
  });
});

describe('GET /api/stats', () => {
  it('returns the snapshot; ?range adds trends; a bad range is 400', async () => {
    const deps = dashboardDeps();
    const h = harness({ dashboard: deps });
    const plain = await h.server.app.inject({ url: '/api/stats' });
    expect(plain.statusCode).toBe(200);
    expect(plain.json()).toEqual(sampleSnapshot());
    const week = await h.server.app.inject({ url: '/api/stats?range=7d' });
    expect(week.json().trends).toEqual([{ t: Date.UTC(2026, 0, 1), done: 3, failed: 1, meanSeconds: 12.5 }]);
    expect((deps.stats as unknown as { ranges: string[] }).ranges).toEqual(['7d']);
    expect((await h.server.app.inject({ url: '/api/stats?range=1y' })).statusCode).toBe(400);
  });
});

describe('access to the dashboard', () => {
  it('on loopback: reads are open; a retry needs the token when one is set', async () => {
    const r = retrying({ '7': { status: 'requeued', taskId: '7', file: '/abs/backlog/failed/task-7.md' } });
    const h = harness({ apiToken: TOKEN, dashboard: dashboardDeps(r) });
    await h.server.listen(0, '127.0.0.1');
    try {
      expect((await h.server.app.inject({ url: '/dashboard' })).statusCode).toBe(200);
      expect((await h.server.app.inject({ url: '/api/stats' })).statusCode).toBe(200);
      const anon = await h.server.app.inject({ method: 'POST', url: '/api/tasks/7/retry' });
      expect(anon.statusCode).toBe(401);
      const wrong = await h.server.app.inject({
        method: 'POST',
        url: '/api/tasks/7/retry',
        headers: { authorization: 'Bearer nope' },
      });
      expect(wrong.statusCode).toBe(401);
      expect(r.calls).toEqual([]);
      const ok = await h.server.app.inject({ method: 'POST', url: '/api/tasks/7/retry', headers: bearer });
      expect(ok.statusCode).toBe(200);
      // The file name only: where the service keeps its files is not the client's business.
      expect(ok.json()).toEqual({ status: 'requeued', id: '7', file: 'task-7.md' });
    } finally {
      await h.server.close();
    }
  });

  it('beyond loopback with a token: reads need it (the page shell asks), ?token only on /api/events', async () => {
    const h = harness({ apiToken: TOKEN, dashboard: dashboardDeps() });
    await h.server.listen(0, '0.0.0.0');
    try {
      const shell = await h.server.app.inject({ url: '/dashboard' });
      expect(shell.statusCode).toBe(401);
      expect(shell.body).toContain('id="token-form"');
      expect(shell.body).not.toContain('AGENT_NO_CHANGES');
      expect(shell.body).toContain('data-locked="1"');
      expect((await h.server.app.inject({ url: '/api/stats' })).statusCode).toBe(401);
      expect((await h.server.app.inject({ url: `/api/stats?token=${TOKEN}` })).statusCode).toBe(401);
      const withBearer = await h.server.app.inject({ url: '/dashboard', headers: bearer });
      expect(withBearer.statusCode).toBe(200);
      expect(withBearer.body).toContain('AGENT_NO_CHANGES');
      expect((await h.server.app.inject({ url: '/api/stats', headers: bearer })).statusCode).toBe(200);
      expect((await h.server.app.inject({ url: '/api/events?token=wrong' })).statusCode).toBe(401);
      // Static assets hold no data: the shell needs them to ask for the token.
      expect((await h.server.app.inject({ url: '/assets/dashboard.js' })).statusCode).toBe(200);
    } finally {
      await h.server.close();
    }
  });

  it('beyond loopback without a token: reads and changes are refused (403, naming the fix)', async () => {
    const r = retrying({ '7': { status: 'requeued', taskId: '7', file: 'task-7.md' } });
    const h = harness({ dashboard: dashboardDeps(r) });
    await h.server.listen(0, '0.0.0.0');
    try {
      const page = await h.server.app.inject({ url: '/dashboard' });
      expect(page.statusCode).toBe(403);
      expect(page.body).toContain('TP_API_TOKEN');
      expect((await h.server.app.inject({ url: '/api/stats' })).statusCode).toBe(403);
      expect((await h.server.app.inject({ url: '/api/events' })).statusCode).toBe(403);
      const retry = await h.server.app.inject({ method: 'POST', url: '/api/tasks/7/retry' });
      expect(retry.statusCode).toBe(403);
      expect(retry.json().message).toContain('TP_API_TOKEN');
      expect(r.calls).toEqual([]);
    } finally {
      await h.server.close();
    }
  });

  it('on loopback without a token: a retry is open to this page but not to another site', async () => {
    const r = retrying({ '7': { status: 'requeued', taskId: '7', file: 'task-7.md' } });
    const h = harness({ dashboard: dashboardDeps(r) });
    const post = (headers: Record<string, string>) =>
      h.server.app.inject({
        method: 'POST',
        url: '/api/tasks/7/retry',
        headers: { host: 'localhost:8080', ...headers },
      });
    expect((await post({ origin: 'https://evil.example' })).statusCode).toBe(403);
    expect((await post({ 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
    expect((await post({ origin: 'null' })).statusCode).toBe(403);
    expect(r.calls).toEqual([]);
    expect(
      (await post({ origin: 'http://localhost:8080', 'sec-fetch-site': 'same-origin' })).statusCode,
    ).toBe(200);
    expect((await post({})).statusCode).toBe(200);
    expect(r.calls).toEqual(['7', '7']);
  });
});

describe('POST /api/tasks/:id/retry', () => {
  const outcomes: Record<string, RetryOutcome> = {
    '7': { status: 'requeued', taskId: '7', file: 'task-7.md' },
    '8': { status: 'not-failed', taskId: '8', state: 'review' },
  };

  it('404 for an unknown task or a malformed id, 409 when the task is not in failed/', async () => {
    const r = retrying(outcomes);
    const h = harness({ apiToken: TOKEN, dashboard: dashboardDeps(r) });
    const post = (id: string) =>
      h.server.app.inject({ method: 'POST', url: `/api/tasks/${id}/retry`, headers: bearer });
    const unknown = await post('99');
    expect(unknown.statusCode).toBe(404);
    const conflict = await post('8');
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().message).toBe('task 8 is in review/, not in failed/');
    expect((await post('a%20b')).statusCode).toBe(404);
    expect(r.calls).toEqual(['99', '8']);
  });

  it('a form posted without JavaScript: token field, then back to the page; errors as an escaped page', async () => {
    const r = retrying(outcomes);
    const h = harness({ apiToken: TOKEN, dashboard: dashboardDeps(r) });
    const form = (id: string, body: string) =>
      h.server.app.inject({
        method: 'POST',
        url: `/api/tasks/${id}/retry`,
        payload: body,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
    const refused = await form('7', 'token=wrong');
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['content-type']).toMatch(/^text\/html/);
    const done = await form('7', `token=${encodeURIComponent(TOKEN)}`);
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/dashboard#failures');
    const conflict = await form('8', `token=${TOKEN}`);
    expect(conflict.statusCode).toBe(409);
    expect(conflict.body).toContain('task 8 is in review/');
    expect(r.calls).toEqual(['7', '8']);
  });

  it('is rate-limited per source IP like the task API', async () => {
    const r = retrying(outcomes);
    const h = harness({ rateLimitPerMinute: 2, dashboard: dashboardDeps(r) });
    const codes: number[] = [];
    for (let i = 0; i < 3; i++)
      codes.push((await h.server.app.inject({ method: 'POST', url: '/api/tasks/7/retry' })).statusCode);
    expect(codes).toEqual([200, 200, 429]);
    expect(r.calls).toEqual(['7', '7']);
  });

  it('never echoes what the retry threw', async () => {
    const h = harness({
      dashboard: dashboardDeps({
        retryTask: async () => {
          throw new Error(`disk full at /secret/path ${EVIL}`);
        },
      }),
    });
    const res = await h.server.app.inject({ method: 'POST', url: '/api/tasks/7/retry' });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('/secret/path');
    expect(res.json().message).toBe('retry failed');
  });
});
