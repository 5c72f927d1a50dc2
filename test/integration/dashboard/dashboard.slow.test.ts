import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../../src/app.js';
import { createAppServer } from '../../../src/app-server.js';
import { loadConfig } from '../../../src/config/index.js';
import { formatCount, formatMs, formatRate } from '../../../src/dashboard/index.js';
import type { TpServer } from '../../../src/server/index.js';
import type { FakeOllama } from '../../fixtures/fake-ollama/index.js';
import { folderContents, writeTask } from '../../helpers/project.js';
import {
  dashboardProject,
  errorReport,
  GOOD,
  getStats,
  LAZY,
  LEAVE_AS_IS,
  launchChromium,
  openDashboard,
  SCREENSHOT,
  serve,
  startModels,
} from './support.js';

const STAGES = [
  'claimed',
  'workspace',
  'agent',
  'verify',
  'review',
  'commit',
  'push',
  'pull-request',
  'finalize',
];
const TOKEN = 'dashboard-test-token-5f2c';

describe('dashboard in real Chromium (real app, fake Ollama, local forge, real git)', () => {
  // One app for the suite, as a running service would be: each test adds its tasks and the
  // later ones see what the earlier ones left (the per-model test reads all runs so far).
  let browser: Browser;
  let fake: FakeOllama;
  let server: TpServer;
  let app: App;
  let root: string;
  let url: string;

  beforeAll(async () => {
    browser = await launchChromium();
    fake = await startModels();
    ({ root } = await dashboardProject(fake, { webhook: { apiToken: TOKEN } }));
    app = await createApp(loadConfig({ cwd: root, env: {} }));
    ({ server, url } = await serve(app));
  });
  afterAll(async () => {
    await server?.close();
    await app?.close();
    await browser?.close();
    await fake?.close();
  });

  /** Runs the tasks waiting in todo/ to the end. */
  async function drain(): Promise<void> {
    await app.worker.start({ watch: false });
    await app.worker.idle();
  }

  it('shows a run live over SSE: its stage changes without a reload, then it moves to review', async () => {
    const { page, errors } = await openDashboard(browser, url);
    // Browser-side code as text: this project's TypeScript has no DOM types.
    await page.evaluate(`(() => {
      window.stages = [];
      window.sameDocument = true;
      new MutationObserver(() => {
        const v = document.querySelector('#running-table tr[data-task="1"] [data-field="stage"]')?.textContent;
        if (v && window.stages[window.stages.length - 1] !== v) window.stages.push(v);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    })()`);

    writeTask(root, '1', { title: 'Write notes', model: GOOD });
    const done = drain();
    const row = page.locator('#running-table tr[data-task="1"]');
    await row.locator('[data-field="stage"]', { hasText: 'agent' }).waitFor();
    await expect.poll(() => row.locator('[data-field="model"]').textContent()).toBe(GOOD);
    // Elapsed time ticks in the page while the run goes on.
    const first = Number(await row.locator('[data-field="elapsed"]').getAttribute('data-value'));
    // (Polled from here: the page's CSP forbids the string eval waitForFunction would use.)
    await expect
      .poll(async () => Number(await row.locator('[data-field="elapsed"]').getAttribute('data-value')))
      .toBeGreaterThan(first);
    await done;
    await row.waitFor({ state: 'detached' });
    await page
      .locator('#folders-table tr[data-folder="review"] [data-field="count"]', { hasText: /^1$/ })
      .waitFor();
    await page.locator('#running-table tr.empty').waitFor();

    const seen = (await page.evaluate('window.stages')) as string[];
    const sameDocument = await page.evaluate('window.sameDocument');
    expect(sameDocument).toBe(true);
    expect(seen).toContain('agent');
    // Stages after the agent's were shown too, in pipeline order.
    expect(seen.indexOf('agent')).toBeLessThan(seen.length - 1);
    const order = seen.map((s) => STAGES.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(folderContents(root).review).toEqual(['task-1 - Write notes.md']);
    expect(errors).toEqual([]);
  });

  it('shows a failure as it happens, with its reason and hint', async () => {
    const { page, errors } = await openDashboard(browser, url);
    await page.locator('#failures-table tr.empty').waitFor();

    writeTask(root, '2', { title: 'Think only', model: LAZY, description: LEAVE_AS_IS });
    const done = drain();
    const row = page.locator('#failures-table tr[data-task="2"]');
    await row.waitFor();
    await done;

    const report = errorReport(root, 'task-2 - Think only.md');
    expect(report.code, JSON.stringify(report)).toBe('AGENT_NO_CHANGES');
    expect(report.hint).toBeTruthy();
    const stats = await getStats(url);
    const failure = stats.failures.find((f) => f.taskId === '2');
    expect(failure).toBeDefined();
    expect(await row.locator('[data-field="code"]').textContent()).toBe('AGENT_NO_CHANGES');
    expect(await row.locator('[data-field="reason"]').textContent()).toBe(failure?.reason);
    expect(failure?.reason).toContain(report.error.split('\n')[0]?.slice(0, 30));
    expect(await row.locator('[data-field="hint"]').textContent()).toBe(report.hint);
    expect(await row.locator('button', { hasText: 'Retry' }).count()).toBe(1);
    expect(errors).toEqual([]);
  });

  it('the retry button requeues with the token and is refused without it', async () => {
    // Task 2 failed in the test before.
    expect(folderContents(root).failed).toEqual(['task-2 - Think only.md']);

    const { page, errors } = await openDashboard(browser, url);
    const retryUrl = `${url}/api/tasks/2/retry`;
    const row = page.locator('#failures-table tr[data-task="2"]');
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.url() === retryUrl),
      row.locator('button', { hasText: 'Retry' }).click(),
    ]);
    expect(refused.status()).toBe(401);
    await row.locator('.retry-result', { hasText: '401' }).waitFor();
    expect(folderContents(root).failed).toEqual(['task-2 - Think only.md']);
    expect(app.store.getRun('2')?.state).not.toBe('queued');

    // The token box keeps the token for this tab; the button then sends it as a bearer header.
    await page.fill('#token', TOKEN);
    await page.click('#token-form button');
    await expect.poll(() => page.evaluate(`sessionStorage.getItem('tp-token')`)).toBe(TOKEN);
    await page.reload();
    await page.locator('#live', { hasText: /^live$/ }).waitFor();
    const [accepted] = await Promise.all([
      page.waitForResponse((r) => r.url() === retryUrl),
      page.locator('#failures-table tr[data-task="2"] button', { hasText: 'Retry' }).click(),
    ]);
    expect(accepted.status()).toBe(200);
    expect(await accepted.json()).toEqual({ status: 'requeued', id: '2', file: 'task-2 - Think only.md' });
    expect(accepted.request().headers().authorization).toBe(`Bearer ${TOKEN}`);
    // The page refreshes itself: the failure is gone, the task waits in todo/.
    await page.locator('#failures-table tr[data-task="2"]').waitFor({ state: 'detached' });
    await page
      .locator('#folders-table tr[data-folder="todo"] [data-field="count"]', { hasText: /^1$/ })
      .waitFor();
    expect(folderContents(root)).toMatchObject({ todo: ['task-2 - Think only.md'], failed: [] });
    expect(app.store.getRun('2')).toMatchObject({ state: 'queued', retryCount: 1 });
    expect(errors.filter((e) => !/401/.test(e))).toEqual([]);
  });

  it('shows per-model numbers equal to GET /api/stats, draws the trends, and saves a screenshot', async () => {
    // The retried task runs again (and fails again: no model changes anything).
    await drain();
    expect(folderContents(root)).toMatchObject({ todo: [], failed: ['task-2 - Think only.md'] });
    expect(app.store.getRun('2')).toMatchObject({ state: 'failed', retryCount: 1 });

    const { page, errors } = await openDashboard(browser, url);
    const stats = await getStats(url);
    expect(Object.keys(stats.models).sort()).toEqual([GOOD, LAZY].sort());
    expect(stats.models[GOOD]?.successes).toBeGreaterThanOrEqual(1);
    expect(
      stats.models[LAZY]?.failures,
      JSON.stringify({ report: errorReport(root, 'task-2 - Think only.md'), models: stats.models }),
    ).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#models-table tr[data-model]').count()).toBe(2);
    for (const [name, m] of Object.entries(stats.models)) {
      const row = page.locator(`#models-table tr[data-model="${name}"]`);
      const cell = (field: string) => row.locator(`[data-field="${field}"]`);
      for (const field of ['attempts', 'successes', 'failures', 'tokens'] as const) {
        expect(await cell(field).getAttribute('data-value')).toBe(String(m[field]));
        expect(await cell(field).textContent()).toBe(formatCount(m[field]));
      }
      expect(Number(await cell('successRate').getAttribute('data-value'))).toBe(m.successRate);
      expect(await cell('successRate').textContent()).toBe(formatRate(m.successRate));
      expect(await cell('p50').textContent()).toBe(formatMs(m.p50Ms));
      expect(await cell('p95').textContent()).toBe(formatMs(m.p95Ms));
    }
    const folders = stats.processing.folders;
    for (const [folder, n] of Object.entries(folders)) {
      const count = page.locator(`#folders-table tr[data-folder="${folder}"] [data-field="count"]`);
      expect(await count.getAttribute('data-value')).toBe(String(n));
    }
    expect(folders).toMatchObject({ review: 1, failed: 1, todo: 0 });
    // uPlot drew the 24 h trend from /api/stats?range=24h.
    await page.locator('#trend-chart canvas').waitFor();
    expect(Number(await page.locator('#trend-chart').getAttribute('data-points'))).toBeGreaterThan(0);

    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`dashboard screenshot: ${SCREENSHOT}`);
    expect(errors).toEqual([]);
  });

  it('bound beyond loopback, the page asks for the token, then shows the data and streams live', async () => {
    const wide = createAppServer(app);
    const { port } = await wide.listen(0, '0.0.0.0');
    const page = await browser.newPage();
    try {
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(String(e)));
      const first = await page.goto(`http://127.0.0.1:${port}/dashboard`);
      expect(first?.status()).toBe(401);
      await page.locator('#locked').waitFor();
      expect(await page.locator('#models-table').count()).toBe(0);
      const stream = await fetch(`http://127.0.0.1:${port}/api/events`);
      expect(stream.status).toBe(401);

      await page.fill('#token', TOKEN);
      await page.click('#token-form button');
      // The script loaded the page with the bearer token and opened the stream with ?token=.
      await page.locator('#models-table tr[data-model]').first().waitFor();
      await page.locator('#live', { hasText: /^live$/ }).waitFor();
      expect(await page.locator('#failures-table tr[data-task="2"]').count()).toBe(1);
      expect(pageErrors).toEqual([]);
    } finally {
      await page.close();
      await wide.close();
    }
  });

  it('with JavaScript off, the tables are there and the retry form works with the token field', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    try {
      await page.goto(`${url}/dashboard`);
      expect(await page.locator('#live').textContent()).toBe('static');
      const stats = await getStats(url);
      for (const name of Object.keys(stats.models))
        expect(await page.locator(`#models-table tr[data-model="${name}"]`).count()).toBe(1);
      // Task 2 failed again in the per-model test.
      const row = page.locator('#failures-table tr[data-task="2"]');
      await row.locator('input[name="token"]').fill('wrong-token');
      await row.locator('button', { hasText: 'Retry' }).click();
      await page.locator('h2', { hasText: 'Retry: unauthorized' }).waitFor();
      expect(folderContents(root).failed).toEqual(['task-2 - Think only.md']);

      await page.goto(`${url}/dashboard`);
      await row.locator('input[name="token"]').fill(TOKEN);
      await row.locator('button', { hasText: 'Retry' }).click();
      // 303 back to the page, which no longer lists the failure.
      await page.waitForURL(`${url}/dashboard#failures`);
      expect(await page.locator('#failures-table tr[data-task="2"]').count()).toBe(0);
      expect(folderContents(root)).toMatchObject({ todo: ['task-2 - Think only.md'], failed: [] });
    } finally {
      await context.close();
    }
  });
});
