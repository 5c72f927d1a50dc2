import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { App } from '../../../src/app.js';
import { createAppServer } from '../../../src/app-server.js';
import type { TpServer } from '../../../src/server/index.js';
import type { StatsSnapshot } from '../../../src/stats/index.js';
import { type FakeOllama, type ResponderRequest, startFakeOllama } from '../../fixtures/fake-ollama/index.js';
import { makeProject } from '../../helpers/project.js';

export const CHROMIUM = '/usr/bin/chromium';
/** Writes a file: its change makes a commit and a PR. */
export const GOOD = 'good-coder:7b';
/** Finishes at once without touching a file. */
export const LAZY = 'lazy-coder:1b';
/** A task whose description holds this gets no change from any model: it fails with AGENT_NO_CHANGES. */
export const LEAVE_AS_IS = 'Leave everything as it is.';
/**
 * Each model reply waits this long, so a run spends a visible while in its agent stage: long
 * enough that the run outlives a tick of the elapsed-time column, now that the git stages
 * around it are fast (pooled worktrees).
 */
const REPLY_DELAY_MS = 800;

/** Chromium from the system (Debian `chromium`); missing is a failure naming the fix, never a skip. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: the dashboard tests need a real browser. Install it (Debian/Ubuntu: sudo apt-get install chromium); CI installs it in .ci/run.`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

async function responder(req: ResponderRequest) {
  await new Promise((r) => setTimeout(r, REPLY_DELAY_MS));
  if (req.model === LAZY || req.messages.some((m) => m.content.includes(LEAVE_AS_IS)))
    return { toolCalls: [{ name: 'finish', arguments: { summary: 'It looks fine as it is.' } }] };
  if (req.messages.some((m) => m.role === 'tool'))
    return { toolCalls: [{ name: 'finish', arguments: { summary: 'Wrote the file.' } }] };
  return { toolCalls: [{ name: 'write_file', arguments: { path: 'notes.txt', content: 'hello\n' } }] };
}

export async function startModels(): Promise<FakeOllama> {
  const fake = await startFakeOllama({
    models: [GOOD, LAZY].map((name) => ({
      name,
      contextLength: 32768,
      capabilities: ['completion', 'tools'],
    })),
  });
  fake.setResponder(responder);
  return fake;
}

/** A project whose built-in agent talks to the fake Ollama; `extra` merges into config.json. */
export function dashboardProject(fake: FakeOllama, extra: Record<string, unknown> = {}) {
  return makeProject({
    agent: { type: 'builtin', allowCommands: [] },
    ollama: {
      host: fake.url,
      defaultModel: GOOD,
      fallbackModels: [],
      availableModels: [GOOD, LAZY],
      healthCheck: { enabled: false },
    },
    codeReview: { enabled: false },
    monitoring: { heartbeatMs: 1000 },
    ...extra,
  });
}

/** The app's real HTTP server on 127.0.0.1, a free port. */
export async function serve(app: App): Promise<{ server: TpServer; url: string }> {
  const server = createAppServer(app);
  const { url } = await server.listen(0, '127.0.0.1');
  return { server, url };
}

/** A page on the dashboard that records console errors (a CSP block shows up there) and page errors. */
export async function openDashboard(
  browser: Browser,
  url: string,
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${url}/dashboard`);
  // The script connected the event stream: updates from now on are live.
  await page.locator('#live', { hasText: /^live$/ }).waitFor();
  return { page, errors };
}

export async function getStats(url: string): Promise<StatsSnapshot> {
  const res = await fetch(`${url}/api/stats`);
  if (!res.ok) throw new Error(`GET /api/stats: ${res.status}`);
  return (await res.json()) as StatsSnapshot;
}

export function errorReport(root: string, file: string): { error: string; hint: string; code: string } {
  return JSON.parse(
    readFileSync(path.join(root, 'backlog/failed', file.replace(/\.md$/, '.error.json')), 'utf8'),
  );
}

/** Stable, git-ignored place for the screenshot. */
export const SCREENSHOT = path.resolve('test-results/dashboard.png');
