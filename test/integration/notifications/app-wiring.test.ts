import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/index.js';
import { notificationsSchema } from '../../../src/config/schema-ops.js';
import { EventBus } from '../../../src/events/index.js';
import { Notifier, resolveChannels } from '../../../src/notifications/index.js';
import { SqliteStore } from '../../../src/store/index.js';
import { makeProject, tmpDir } from '../../helpers/project.js';
import { startRecorder } from '../../unit/notifications/support.js';

/* The notifier inside the app: env:NAME values, redaction everywhere, the other events, restarts. */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const SECRET = 'whsec-notify-5f1c2d3e4a5b6c7d';

async function openApp(root: string, env: Record<string, string>): Promise<App> {
  const app = await createApp(loadConfig({ cwd: root, env }));
  cleanups.push(() => app.close());
  return app;
}

describe('the notifier in the app', () => {
  it('refuses to start when an env:NAME value is missing, naming the channel and the variable', async () => {
    const { root } = await makeProject({
      notifications: {
        channels: [
          { name: 'ops-hook', type: 'webhook', url: 'https://x.test/', secret: 'env:TP_NOTIFY_SECRET' },
        ],
      },
    });
    await expect(createApp(loadConfig({ cwd: root, env: {} }))).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/ops-hook.*TP_NOTIFY_SECRET/),
    });
  });

  it('is off without channels or when disabled', async () => {
    const { root } = await makeProject({});
    expect((await openApp(root, {})).notifier).toBeUndefined();
    const off = await makeProject({
      notifications: { enabled: false, channels: [{ type: 'ntfy', url: 'https://ntfy.test/t' }] },
    });
    expect((await openApp(off.root, {})).notifier).toBeUndefined();
  });

  it('signs with the secret from the environment and keeps it out of payloads, the store and the logs', async () => {
    const http = await startRecorder();
    cleanups.push(() => http.close());
    const { root } = await makeProject({
      notifications: {
        batchWindowMs: 0,
        channels: [
          { name: 'hook', type: 'webhook', url: `${http.url}/hook`, secret: 'env:TP_NOTIFY_SECRET' },
        ],
      },
    });
    const app = await openApp(root, { TP_NOTIFY_SECRET: SECRET });
    expect(app.secrets).toContain(SECRET);
    const sent = app.events.waitFor('notification.sent', (e) => e.event === 'task.failed');
    app.events.emit('task.failed', {
      taskId: '4',
      code: 'PUSH_FAILED',
      error: `remote rejected the token ${SECRET}`,
      retryable: true,
      elapsedMs: 3,
    });
    await sent;
    const merged = app.events.waitFor('notification.sent', (e) => e.event === 'pr.merged');
    const held = app.events.waitFor('notification.sent', (e) => e.event === 'task.needs_attention');
    app.events.emit('task.needs_attention', {
      taskId: '5',
      prUrl: 'https://forge.test/o/r/pulls/8',
      prNumber: 8,
      reason: '1 critical finding open',
    });
    app.events.emit('task.completed', { taskId: '6', prNumber: 9, via: 'webhook' });
    await Promise.all([merged, held]);

    const [first, ...rest] = http.requests;
    const signature = `sha256=${createHmac('sha256', SECRET).update(first!.body).digest('hex')}`;
    expect(first!.headers['x-tp-signature']).toBe(signature);
    expect(JSON.parse(first!.body.toString('utf8')).items[0].reason).toBe('remote rejected the token ***');
    const events = rest.map((r) => r.headers['x-tp-event']).sort();
    expect(events).toEqual(['pr.merged', 'task.needs_attention']);
    const rows = app.store.listNotifications();
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
    await app.close();
    const logDir = path.join(root, 'logs');
    const logs = readdirSync(logDir)
      .map((f) => readFileSync(path.join(logDir, f), 'utf8'))
      .join('\n');
    expect(logs).toContain('notification.sent');
    const everything = [
      logs,
      ...http.requests.map((r) => `${JSON.stringify(r.headers)}${r.body.toString('utf8')}`),
      JSON.stringify(rows),
    ].join('\n');
    expect(everything).not.toContain(SECRET);
  });

  it('resends a delivery left pending by the previous process, with the same delivery id', async () => {
    const silent = await startRecorder({ hang: true });
    const live = await startRecorder();
    cleanups.push(
      () => silent.close(),
      () => live.close(),
    );
    const file = path.join(tmpDir('tp-notif-resume-'), 'state.db');
    const build = (url: string, store: SqliteStore, events: EventBus, timeoutMs: number) => {
      const settings = notificationsSchema.parse({
        batchWindowMs: 0,
        // The next process takes a pending row as abandoned after one backoff and one try
        // without an update (0.6 s with the second notifier's settings).
        retries: 0,
        timeoutMs,
        channels: [{ name: 'hook', type: 'webhook', url, secret: 'resume-secret' }],
      });
      return new Notifier({
        settings,
        channels: resolveChannels(settings, {}).channels,
        events,
        store,
        secrets: [],
        closeDeadlineMs: 50,
      });
    };
    const store1 = new SqliteStore(file);
    const bus1 = new EventBus();
    const first = build(`${silent.url}/hook`, store1, bus1, 30_000);
    first.start();
    bus1.emit('task.failed', { taskId: '2', code: 'NETWORK', error: 'down', retryable: true, elapsedMs: 1 });
    await silent.waitFor(1);
    await first.close(); // as if the process stopped mid-delivery
    expect(store1.listNotifications()).toMatchObject([{ status: 'pending', attempts: 1 }]);
    store1.close();

    const store2 = new SqliteStore(file);
    cleanups.push(() => store2.close());
    const bus2 = new EventBus();
    const second = build(`${live.url}/hook`, store2, bus2, 100);
    cleanups.push(() => second.close());
    const sent = bus2.waitFor('notification.sent');
    second.start();
    expect(await sent).toMatchObject({ channel: 'hook', event: 'task.failed', attempts: 2 });
    const before = JSON.parse(silent.requests[0]!.body.toString('utf8'));
    const after = JSON.parse(live.requests[0]!.body.toString('utf8'));
    expect(after.delivery).toBe(before.delivery);
    expect(live.requests[0]!.headers['x-tp-delivery']).toBe(before.delivery);
    expect(store2.listNotifications()).toMatchObject([{ status: 'sent', attempts: 2 }]);
  });
});
