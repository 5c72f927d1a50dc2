import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TpError } from '../../../src/errors/index.js';
import { giteaSamples } from '../../fixtures/webhooks/gitea-extra/samples.js';
import { FIXTURE_SECRET, githubSamples } from '../../fixtures/webhooks/github/samples.js';
import { gitlabSamples } from '../../fixtures/webhooks/gitlab/samples.js';
import { harness, send } from './helpers.js';

const gitea = giteaSamples();
const github = githubSamples();
const gitlab = gitlabSamples();

describe('webhook routes', () => {
  it('accepts signed samples from every forge on /webhook, detecting the forge', async () => {
    const h = harness();
    const cases = [
      [gitea['pull_request.closed.merged']!, 'gitea', 'pr.merged', '42'],
      [github['pull_request.closed.merged']!, 'github', 'pr.merged', '42'],
      [gitlab['merge_request.merge']!, 'gitlab', 'pr.merged', '42'],
      [gitea['pull_request.closed.unmerged']!, 'gitea', 'pr.closed', '43'],
      [gitlab['note.merge_request']!, 'gitlab', 'pr.comment', '44'],
      [github.ping!, 'github', 'ping', undefined],
    ] as const;
    for (const [sample, forge, kind, taskId] of cases) {
      const res = await h.server.app.inject(send(sample));
      expect(res.statusCode, sample.name).toBe(200);
      expect(res.json()).toMatchObject({ status: 'accepted' });
      const call = h.calls.at(-1)!;
      expect(call.event.kind).toBe(kind);
      expect(call.context).toMatchObject({ forge, taskId });
    }
    expect(h.calls).toHaveLength(cases.length);
  });

  it('serves /webhook/<forge> and refuses another forge’s request there', async () => {
    const h = harness();
    const ok = await h.server.app.inject(send(gitlab['merge_request.close']!, '/webhook/gitlab'));
    expect(ok.statusCode).toBe(200);
    // A GitHub-signed body on the Gitea route has no Gitea signature.
    const wrong = await h.server.app.inject(send(github['pull_request.closed.merged']!, '/webhook/gitea'));
    expect(wrong.statusCode).toBe(401);
    expect(h.calls).toHaveLength(1);
  });

  it('honours a custom webhook path, even one equal to a per-forge path', async () => {
    const h = harness({ webhookPath: '/hooks/tp' });
    expect((await h.server.app.inject(send(github.ping!, '/hooks/tp'))).statusCode).toBe(200);
    expect((await h.server.app.inject(send(github.ping!, '/webhook'))).statusCode).toBe(404);
    const same = harness({ webhookPath: '/webhook/github' });
    expect((await same.server.app.inject(send(github.ping!, '/webhook/github'))).statusCode).toBe(200);
    expect(() => harness({ webhookPath: 'webhook' })).toThrow(/must start with/);
    expect(() => harness({ taskIdRegex: 'task-(' })).toThrow(/taskIdFormat.extractRegex/);
  });

  it('refuses missing and wrong signatures with 401 and does not call the handler', async () => {
    const h = harness();
    const s = gitea['pull_request.closed.merged']!;
    const missing = await h.server.app.inject(
      send(s, '/webhook', { 'x-gitea-signature': undefined, 'x-hub-signature-256': undefined }),
    );
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toEqual({ status: 'unauthorized', message: 'missing signature' });
    const wrong = await h.server.app.inject(send(s, '/webhook', { 'x-gitea-signature': 'ab'.repeat(32) }));
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().message).toBe('invalid signature');
    const none = await h.server.app.inject({
      method: 'POST',
      url: '/webhook',
      payload: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(none.statusCode).toBe(401);
    expect(h.calls).toHaveLength(0);
  });

  it('rejects a signature computed over re-serialised JSON', async () => {
    const h = harness();
    const s = gitea['pull_request.closed.merged']!;
    const reserialised = JSON.stringify(JSON.parse(s.body.toString('utf8')));
    const sig = createHmac('sha256', FIXTURE_SECRET).update(reserialised).digest('hex');
    const res = await h.server.app.inject(send(s, '/webhook', { 'x-gitea-signature': sig }));
    expect(res.statusCode).toBe(401);
    expect(h.calls).toHaveLength(0);
  });

  it('refuses every webhook with 401 when no secret is set, and logs how to set it', async () => {
    const h = harness({ secrets: {} });
    const res = await h.server.app.inject(send(gitea['pull_request.closed.merged']!));
    expect(res.statusCode).toBe(401);
    expect(res.json().status).toBe('no-secret');
    expect(h.logText()).toContain('GITEA_WEBHOOK_SECRET');
    const gh = await h.server.app.inject(send(github.ping!));
    expect(gh.statusCode).toBe(401);
    expect(h.logs().filter((l) => String(l.msg).includes('GITEA_WEBHOOK_SECRET'))).toHaveLength(3);
    const hinted = harness({
      secrets: { gitea: FIXTURE_SECRET },
      secretEnvHint: { github: 'GITHUB_WEBHOOK_SECRET' },
    });
    expect((await hinted.server.app.inject(send(github.ping!))).statusCode).toBe(401);
    expect(hinted.logText()).toContain('Set GITHUB_WEBHOOK_SECRET in the environment');
    expect(h.calls).toHaveLength(0);
  });

  it('answers 413 over the size limit, 415 for other content types, 400 for bad JSON', async () => {
    const h = harness({ maxBodyBytes: 1024 });
    const big = await h.server.app.inject(send(gitea['pull_request.closed.merged']!));
    expect(big.statusCode).toBe(413);

    const h2 = harness();
    const s = github.ping!;
    for (const type of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x']) {
      const res = await h2.server.app.inject(send(s, '/webhook', { 'content-type': type }));
      expect(res.statusCode, type).toBe(415);
    }
    const body = Buffer.from('{"zen": "Keep it logically awesome.",');
    const sig = `sha256=${createHmac('sha256', FIXTURE_SECRET).update(body).digest('hex')}`;
    const bad = await h2.server.app.inject({
      method: 'POST',
      url: '/webhook',
      payload: body,
      headers: { ...s.headers, 'x-hub-signature-256': sig },
    });
    expect(bad.statusCode).toBe(400);
    expect(h2.calls).toHaveLength(0);
  });

  it('accepts GitHub’s form content type (payload=…) verified over the form bytes', async () => {
    const h = harness();
    const s = github['pull_request.closed.merged']!;
    const form = Buffer.from(new URLSearchParams({ payload: s.body.toString('utf8') }).toString());
    const sig = `sha256=${createHmac('sha256', FIXTURE_SECRET).update(form).digest('hex')}`;
    const res = await h.server.app.inject({
      method: 'POST',
      url: '/webhook/github',
      payload: form,
      headers: {
        ...s.headers,
        'content-type': 'application/x-www-form-urlencoded',
        'x-hub-signature-256': sig,
      },
    });
    expect(res.statusCode).toBe(200);
    expect(h.calls[0]?.event).toMatchObject({ kind: 'pr.merged', prNumber: 2 });
  });

  it('answers 202 ignored for events it does not handle', async () => {
    const h = harness();
    for (const s of [
      gitea.push!,
      gitlab.push!,
      gitlab['note.issue']!,
      github['issue_comment.created.issue']!,
    ]) {
      const res = await h.server.app.inject(send(s));
      expect(res.statusCode, s.name).toBe(202);
      expect(res.json().status).toBe('ignored');
    }
    expect(h.calls).toHaveLength(0);
  });

  it('processes a delivery id once: a replay answers 202 duplicate', async () => {
    const h = harness();
    const s = gitea['pull_request.closed.merged']!;
    expect((await h.server.app.inject(send(s))).statusCode).toBe(200);
    const again = await h.server.app.inject(send(s));
    expect(again.statusCode).toBe(202);
    expect(again.json().status).toBe('duplicate');
    // Same id through the per-forge route is still a replay.
    expect((await h.server.app.inject(send(s, '/webhook/gitea'))).json().status).toBe('duplicate');
    expect(h.calls).toHaveLength(1);
    // The handler receives the delivery id.
    expect(h.calls[0]?.context.deliveryId).toBe('5b0a1c9e-2f8d-4e61-9c3a-7d4e2b1f0a11');
  });

  it('refuses a signed delivery without a delivery id (400), naming the header', async () => {
    const h = harness();
    const s = gitea['pull_request.closed.merged']!;
    const headers = Object.fromEntries(
      Object.entries(s.headers).map(([k, v]) => [k, /delivery$/.test(k) ? undefined : v]),
    );
    const res = await h.server.app.inject(send(s, '/webhook', headers));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      status: 'bad-request',
      message: 'missing delivery id header (X-Gitea-Delivery or X-Forgejo-Delivery)',
    });
    expect(h.calls).toHaveLength(0);
  });

  it('treats the same body, or the same comment in other bytes, under a new delivery id as a duplicate', async () => {
    const h = harness();
    const s = gitea['issue_comment.pull_request_comment.created']!;
    expect((await h.server.app.inject(send(s))).statusCode).toBe(200);
    const sameBody = await h.server.app.inject(send(s, '/webhook', { 'x-gitea-delivery': 'new-id-1' }));
    expect(sameBody.json().status).toBe('duplicate');
    // Re-serialised (compact) and re-signed: other bytes, the same comment id.
    const compact = Buffer.from(JSON.stringify(JSON.parse(s.body.toString('utf8'))));
    const sig = createHmac('sha256', FIXTURE_SECRET).update(compact).digest('hex');
    const res = await h.server.app.inject({
      ...send(s, '/webhook', { 'x-gitea-delivery': 'new-id-2', 'x-gitea-signature': sig }),
      payload: compact,
    });
    expect(res.json().status).toBe('duplicate');
    // A different comment is a new event.
    const other = JSON.parse(s.body.toString('utf8')) as { comment: { id: number } };
    other.comment.id += 1;
    const body = Buffer.from(JSON.stringify(other));
    const sig2 = createHmac('sha256', FIXTURE_SECRET).update(body).digest('hex');
    const fresh = await h.server.app.inject({
      ...send(s, '/webhook', { 'x-gitea-delivery': 'new-id-3', 'x-gitea-signature': sig2 }),
      payload: body,
    });
    expect(fresh.statusCode).toBe(200);
    expect(h.calls).toHaveLength(2);
  });

  it('uses an injected replay store', async () => {
    const keys: string[] = [];
    const h = harness({
      seenDelivery: (key) => {
        const seen = keys.includes(key);
        keys.push(key);
        return Promise.resolve(seen);
      },
    });
    await h.server.app.inject(send(github.ping!));
    await h.server.app.inject(send(github.ping!));
    // The delivery id, and the body's hash (a ping has no comment or PR id of its own).
    const body = `body:${createHash('sha256').update(github.ping!.body).digest('hex')}`;
    const delivery = 'github:d1f0a6e0-7a1b-11ef-8c1e-000000000005';
    expect(keys).toEqual([delivery, body, delivery, body]);
    expect(h.calls).toHaveLength(1);
  });

  it('returns 202 for a handler that ignores the event', async () => {
    const h = harness({ onForgeEvent: async () => ({ status: 'ignored', message: 'not a task PR' }) });
    const res = await h.server.app.inject(send(github['pull_request.closed.unmerged']!));
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ status: 'ignored', message: 'not a task PR' });
  });

  it('maps handler failures to 503 (retryable) or 500 and lets the forge retry', async () => {
    let attempt = 0;
    const h = harness({
      onForgeEvent: async () => {
        attempt++;
        if (attempt === 1) throw new TpError('disk busy', { code: 'NETWORK', retryable: true });
        if (attempt === 2) throw new Error(`boom with ${FIXTURE_SECRET}`);
        return { status: 'accepted' };
      },
    });
    const s = gitlab['merge_request.merge']!;
    const first = await h.server.app.inject(send(s));
    expect(first.statusCode).toBe(503);
    expect(first.json()).toEqual({ status: 'error', message: 'handler failed (NETWORK)' });
    const second = await h.server.app.inject(send(s));
    expect(second.statusCode).toBe(500);
    expect(second.body).not.toContain(FIXTURE_SECRET);
    const third = await h.server.app.inject(send(s));
    expect(third.statusCode).toBe(200);
    expect(attempt).toBe(3);
  });

  it('rate-limits per source IP with 429', async () => {
    const h = harness({ rateLimitPerMinute: 3 });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await h.server.app.inject({ ...send(github.ping!), remoteAddress: '10.0.0.1' });
      codes.push(res.statusCode);
    }
    expect(codes).toEqual([200, 202, 202, 429, 429]);
    const other = await h.server.app.inject({ ...send(gitlab.push!), remoteAddress: '10.0.0.2' });
    expect(other.statusCode).toBe(202);
    // Health stays reachable for the limited client.
    expect((await h.server.app.inject({ url: '/health', remoteAddress: '10.0.0.1' })).statusCode).toBe(200);
  });

  it('never writes the secret or the signature to its log or responses', async () => {
    const h = harness();
    const s = gitlab['merge_request.merge']!;
    const responses = [
      await h.server.app.inject(send(s)),
      await h.server.app.inject(send(s, '/webhook', { 'x-gitlab-token': `${FIXTURE_SECRET}-wrong` })),
      await h.server.app.inject(send(gitea.push!, '/webhook', { 'x-gitea-signature': 'f'.repeat(64) })),
    ];
    const text = h.logText() + responses.map((r) => r.body).join('\n');
    expect(h.logs().length).toBeGreaterThan(0);
    expect(text).not.toContain(FIXTURE_SECRET);
    expect(text).not.toContain(gitea.push!.headers['x-gitea-signature']);
    expect(text).not.toContain('f'.repeat(64));
  });

  it('answers normally when the outcome observer throws', async () => {
    const h = harness({
      onWebhookOutcome: () => {
        throw new Error('metrics down');
      },
    });
    const res = await h.server.app.inject(send(github.ping!));
    expect(res.statusCode).toBe(200);
    expect(h.calls).toHaveLength(1);
    expect(h.logText()).toContain('webhook outcome observer failed');
  });

  it('reports each outcome to the observer', async () => {
    const outcomes: unknown[] = [];
    const h = harness({ onWebhookOutcome: (o) => outcomes.push(o) });
    await h.server.app.inject(send(github.ping!));
    await h.server.app.inject(send(github.ping!));
    await h.server.app.inject(send(gitea.push!, '/webhook', { 'x-gitea-signature': 'a'.repeat(64) }));
    expect(outcomes).toEqual([
      {
        forge: 'github',
        statusCode: 200,
        outcome: 'accepted',
        deliveryId: 'd1f0a6e0-7a1b-11ef-8c1e-000000000005',
        event: 'ping',
      },
      {
        forge: 'github',
        statusCode: 202,
        outcome: 'duplicate',
        deliveryId: 'd1f0a6e0-7a1b-11ef-8c1e-000000000005',
      },
      {
        forge: 'gitea',
        statusCode: 401,
        outcome: 'unauthorized',
        deliveryId: '5b0a1c9e-2f8d-4e61-9c3a-7d4e2b1f0a14',
      },
    ]);
  });
});
