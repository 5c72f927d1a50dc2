import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach } from 'vitest';
import { type App, createApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/index.js';
import type { TpEvents } from '../../../src/events/index.js';
import { type FakeOllama, startFakeOllama } from '../../fixtures/fake-ollama/index.js';
import { makeProject } from '../../helpers/project.js';

export const REVIEW_MODEL = 'reviewer:1b';

/**
 * The command agent of these tests: writes greet.txt; in a follow-up round (a fix round of the
 * code review sets TP_FOLLOW_UP) it writes the fixed text. `TP_EXTRA` lets a test add files.
 */
export const AGENT = [
  'if [ -n "$TP_FOLLOW_UP" ]; then printf "hello, fixed\\n" > greet.txt;',
  'else printf "hello\\nsecond line\\n" > greet.txt; fi',
].join(' ');

/** A finding as the review model replies it. */
export function finding(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    severity: 'major',
    category: 'bugs',
    file: 'greet.txt',
    line: 1,
    message: 'The greeting is wrong',
    suggestion: 'Write "hello, fixed"',
    ...over,
  };
}

/** A valid structured reply. */
export function reply(findings: Record<string, unknown>[], summary = 'Reviewed.'): { content: string } {
  return { content: JSON.stringify({ findings, summary }) };
}

/** Starts a fake Ollama serving the review model; closed after each test. */
export function fakeOllamaPerTest(): () => Promise<FakeOllama> {
  const fakes: FakeOllama[] = [];
  afterEach(async () => {
    for (const f of fakes.splice(0)) await f.close();
  });
  return async () => {
    const f = await startFakeOllama({
      models: [{ name: REVIEW_MODEL, contextLength: 8192, capabilities: ['completion'] }],
    });
    fakes.push(f);
    return f;
  };
}

/** The config of a project whose changes the fake Ollama reviews. */
export function reviewConfig(fake: FakeOllama, over: Record<string, unknown> = {}): Record<string, unknown> {
  const { codeReview, agent, ...rest } = over;
  return {
    agent: { type: 'command', command: AGENT, ...(agent as object) },
    verify: { commands: ['test -f greet.txt'] },
    ollama: {
      host: fake.url,
      defaultModel: REVIEW_MODEL,
      fallbackModels: [],
      availableModels: [],
      healthCheck: { enabled: false },
    },
    codeReview: { enabled: true, timeoutMs: 15_000, ...(codeReview as object) },
    ...rest,
  };
}

export interface ReviewApp {
  app: App;
  root: string;
  remote: string;
  reviews: TpEvents['review.completed'][];
}

/**
 * Builds the real app for a project made with `reviewConfig` (extra environment in `env`),
 * records its review events, and closes it after the test.
 */
export function reviewAppsClosedAfterEach(): (
  config: Record<string, unknown>,
  env?: Record<string, string>,
) => Promise<ReviewApp> {
  const apps: App[] = [];
  afterEach(async () => {
    for (const a of apps.splice(0)) await a.close();
  });
  return async (config, env = {}) => {
    const { root, remote } = await makeProject(config);
    const app = await createApp(loadConfig({ cwd: root, env }));
    apps.push(app);
    const reviews: TpEvents['review.completed'][] = [];
    app.events.on('review.completed', (e) => reviews.push(e));
    return { app, root, remote, reviews };
  };
}

/** Runs every task in todo/ to its end. */
export async function runAll(app: App): Promise<void> {
  await app.worker.start({ watch: false });
  await app.worker.idle();
}

/** The review requests the fake received (chat bodies). */
export function reviewRequests(fake: FakeOllama): Array<Record<string, unknown>> {
  return fake.requestsTo('/api/chat').map((r) => r.body as Record<string, unknown>);
}

/** error.json of the one failed task. */
export function failedReport(root: string): Record<string, unknown> {
  const dir = path.join(root, 'backlog', 'failed');
  const file = readdirSync(dir).find((f) => f.endsWith('.error.json'));
  if (!file) throw new Error('no error.json in failed/');
  return JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
}
