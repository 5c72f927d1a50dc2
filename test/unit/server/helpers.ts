import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { ForgeEvent } from '../../../src/forges/types.js';
import { createServer, type ForgeEventContext, type ServerDeps } from '../../../src/server/index.js';
import { FIXTURE_SECRET, type RawSample } from '../../fixtures/webhooks/github/samples.js';

export interface Harness {
  server: ReturnType<typeof createServer>;
  calls: Array<{ event: ForgeEvent; context: ForgeEventContext }>;
  logs: () => Array<Record<string, unknown>>;
  logText: () => string;
}

/** A server with every forge secret set to the fixture secret and a recording handler. */
export function harness(overrides: Partial<ServerDeps> = {}): Harness {
  const calls: Harness['calls'] = [];
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const server = createServer({
    webhookPath: '/webhook',
    secrets: { gitea: FIXTURE_SECRET, github: FIXTURE_SECRET, gitlab: FIXTURE_SECRET },
    maxBodyBytes: 64 * 1024,
    rateLimitPerMinute: 1_000_000,
    onForgeEvent: async (event, context) => {
      calls.push({ event, context });
      return { status: 'accepted' };
    },
    health: () => ({ status: 'ok', queueSize: 2, queuePending: 1, processing: ['task-5.md'] }),
    logger: pino({ level: 'debug' }, sink),
    ...overrides,
  });
  return {
    server,
    calls,
    logs: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    logText: () => lines.join('\n'),
  };
}

/** `app.inject` options that send `sample` as the forge would. */
export function send(sample: RawSample, url = '/webhook', headers: Record<string, string | undefined> = {}) {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...sample.headers, ...headers })) if (v !== undefined) merged[k] = v;
  return { method: 'POST' as const, url, payload: sample.body, headers: merged };
}
