import { createHmac } from 'node:crypto';
import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ForgeEvent } from '../../../src/forges/types.js';
import { createServer, type ForgeEventContext, type TpServer } from '../../../src/server/index.js';
import { giteaSamples } from '../../fixtures/webhooks/gitea-extra/samples.js';
import { FIXTURE_SECRET, githubSamples } from '../../fixtures/webhooks/github/samples.js';
import { gitlabSamples } from '../../fixtures/webhooks/gitlab/samples.js';

describe('HTTP server on 127.0.0.1 (real sockets, fetch)', () => {
  const calls: Array<{ event: ForgeEvent; context: ForgeEventContext }> = [];
  const registry = new Registry();
  const webhooks = new Counter({
    name: 'tp_webhooks_total',
    help: 'Webhook requests by outcome',
    labelNames: ['forge', 'outcome'],
    registers: [registry],
  });
  let server: TpServer;
  let base: string;

  beforeAll(async () => {
    server = createServer({
      webhookPath: '/webhook',
      secrets: { gitea: FIXTURE_SECRET, github: FIXTURE_SECRET, gitlab: FIXTURE_SECRET },
      maxBodyBytes: 64 * 1024,
      rateLimitPerMinute: 1000,
      onForgeEvent: async (event, context) => {
        calls.push({ event, context });
        return { status: 'accepted', message: context.taskId ? `task ${context.taskId}` : 'ok' };
      },
      onWebhookOutcome: (o) => webhooks.inc({ forge: o.forge ?? 'unknown', outcome: o.outcome }),
      health: () => ({ status: 'ok', queueSize: 0, queuePending: 0, processing: [] }),
      metrics: () => registry.metrics(),
      metricsContentType: registry.contentType,
    });
    const bound = await server.listen(0, '127.0.0.1');
    expect(bound.port).toBeGreaterThan(0);
    base = bound.url;
  });

  afterAll(async () => {
    await server.close();
  });

  const post = (path: string, body: Buffer | string, headers: Record<string, string>) =>
    fetch(`${base}${path}`, { method: 'POST', body, headers });

  it('processes a signed Gitea merge once, then answers the replay with 202', async () => {
    const s = giteaSamples()['pull_request.closed.merged']!;
    const first = await post('/webhook', s.body, s.headers);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ status: 'accepted', message: 'task 42' });
    const replay = await post('/webhook', s.body, s.headers);
    expect(replay.status).toBe(202);
    expect(((await replay.json()) as { status: string }).status).toBe('duplicate');
    expect(calls.filter((c) => c.context.deliveryId === s.headers['x-gitea-delivery'])).toHaveLength(1);
    expect(calls[0]?.event).toMatchObject({ kind: 'pr.merged', prNumber: 12, branch: 'task-42' });
  });

  it('handles GitHub and GitLab deliveries on their own routes', async () => {
    const gh = githubSamples()['issue_comment.created.pull_request']!;
    expect((await post('/webhook/github', gh.body, gh.headers)).status).toBe(200);
    const gl = gitlabSamples()['merge_request.close']!;
    expect((await post('/webhook/gitlab', gl.body, gl.headers)).status).toBe(200);
    expect(calls.slice(-2).map((c) => [c.context.forge, c.event.kind, c.context.taskId])).toEqual([
      ['github', 'pr.comment', '44'],
      ['gitlab', 'pr.closed', '43'],
    ]);
  });

  it('refuses a bad signature, a re-serialised body and an oversized body', async () => {
    const s = giteaSamples().push!;
    const bad = await post('/webhook', s.body, { ...s.headers, 'x-gitea-signature': '0'.repeat(64) });
    expect(bad.status).toBe(401);
    const compact = JSON.stringify(JSON.parse(s.body.toString('utf8')));
    const reserialised = await post('/webhook', compact, s.headers);
    expect(reserialised.status).toBe(401);
    const big = Buffer.alloc(70 * 1024, 0x20);
    const sig = createHmac('sha256', FIXTURE_SECRET).update(big).digest('hex');
    const tooLarge = await post('/webhook', big, { ...s.headers, 'x-gitea-signature': sig });
    expect(tooLarge.status).toBe(413);
  });

  it('serves /health and /metrics (prom-client registry, fed by webhook outcomes)', async () => {
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', queueSize: 0, queuePending: 0, processing: [] });
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = await metrics.text();
    expect(text).toContain('tp_webhooks_total{forge="gitea",outcome="accepted"} 1');
    expect(text).toContain('tp_webhooks_total{forge="gitea",outcome="duplicate"} 1');
    expect(text).toContain('tp_webhooks_total{forge="gitea",outcome="unauthorized"} 2');
  });
});

describe('listen and close', () => {
  it('stops answering after close', async () => {
    const server = createServer({
      webhookPath: '/webhook',
      secrets: {},
      maxBodyBytes: 1024,
      rateLimitPerMinute: 10,
      onForgeEvent: async () => ({ status: 'ignored' }),
      health: () => ({ status: 'ok', queueSize: 0, queuePending: 0, processing: [] }),
    });
    const { url } = await server.listen(0, '127.0.0.1');
    expect((await fetch(`${url}/health`)).status).toBe(200);
    await server.close();
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });
});

describe('the task API beyond loopback', () => {
  it('is closed (403, and a warning naming the fix) without a token; open on loopback', async () => {
    const lines: string[] = [];
    const { pino } = await import('pino');
    const logger = pino({ level: 'warn' }, { write: (l: string) => lines.push(l) });
    const make = () =>
      createServer({
        webhookPath: '/webhook',
        secrets: { gitea: FIXTURE_SECRET },
        maxBodyBytes: 1024,
        rateLimitPerMinute: 10,
        onForgeEvent: async () => ({ status: 'ignored' }),
        health: () => ({ status: 'ok', queueSize: 0, queuePending: 0, processing: [] }),
        createTask: async () => ({ id: '1', file: '/srv/tp/backlog/todo/task-1.md' }),
        logger,
      });
    const post = (url: string) =>
      fetch(`${url}/api/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
    const open = make();
    const { port } = await open.listen(0, '0.0.0.0');
    const refused = await post(`http://127.0.0.1:${port}`);
    await open.close();
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toContain('TP_API_TOKEN');
    expect(lines.join('')).toContain('no API token is set');
    const local = make();
    lines.length = 0;
    const bound = await local.listen(0, '127.0.0.1');
    const created = await post(bound.url);
    await local.close();
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ status: 'created', id: '1', file: 'task-1.md' });
    expect(lines.join('')).not.toContain('no API token');
  });
});
