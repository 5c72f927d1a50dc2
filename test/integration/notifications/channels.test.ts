import { createHmac, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { notificationsSchema } from '../../../src/config/schema-ops.js';
import { EventBus, type TpEvents } from '../../../src/events/index.js';
import { Notifier, resolveChannels } from '../../../src/notifications/index.js';
import { SqliteStore } from '../../../src/store/index.js';
import { tmpDir } from '../../helpers/project.js';
import {
  ManualClock,
  mailText,
  type RecordedRequest,
  type Recorder,
  startRecorder,
  startSmtp,
} from '../../unit/notifications/support.js';

/*
 * Each channel against a real receiver: the HTTP recorder (Slack, signed webhook, ntfy) and
 * smtp-server (email). The batch windows run on a manual clock; the sockets on real time.
 */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const HOOK_SECRET = 'hook-secret-0123456789abcdef';
const SMTP_PASS = 'smtp-pass-9876543210';

async function setup(extra: Record<string, unknown> = {}) {
  const http = await startRecorder();
  const smtp = await startSmtp(SMTP_PASS);
  cleanups.push(
    () => http.close(),
    () => smtp.close(),
  );
  const settings = notificationsSchema.parse({
    batchWindowMs: 1_000,
    retryDelayMs: 10,
    ...extra,
    channels: [
      { name: 'slack', type: 'slack', url: `${http.url}/slack`, events: ['task.failed', 'pr.opened'] },
      { name: 'hook', type: 'webhook', url: `${http.url}/hook`, secret: 'env:HOOK_SECRET' },
      { name: 'push', type: 'ntfy', url: `${http.url}/ntfy` },
      {
        name: 'mail',
        type: 'email',
        smtp: { host: '127.0.0.1', port: smtp.port, user: 'tp', pass: 'env:SMTP_PASS' },
        from: 'tp@example.test',
        to: ['ops@example.test'],
      },
    ],
  });
  const { channels, secrets } = resolveChannels(settings, { HOOK_SECRET, SMTP_PASS });
  const store = new SqliteStore(path.join(tmpDir('tp-notif-'), 'state.db'));
  const events = new EventBus();
  const clock = new ManualClock();
  const logLines: string[] = [];
  const logger = {
    warn: (obj: object, msg: string) => logLines.push(`${msg} ${JSON.stringify(obj)}`),
    info: (obj: object, msg: string) => logLines.push(`${msg} ${JSON.stringify(obj)}`),
  };
  const sent: TpEvents['notification.sent'][] = [];
  events.on('notification.sent', (e) => sent.push(e));
  const notifier = new Notifier({
    settings,
    channels,
    events,
    store,
    secrets,
    logger,
    clock,
    failureHints: async (ids) =>
      new Map(ids.map((id) => [id, `Make ticket ${id} more specific, then retry it`])),
  });
  notifier.start();
  cleanups.push(async () => {
    await notifier.close();
    store.close();
  });
  return { http, smtp, store, events, clock, notifier, logLines, sent, secrets };
}

const byPath = (r: Recorder, p: string): RecordedRequest[] => r.requests.filter((q) => q.path === p);

function failed(events: EventBus, id: string, error = 'the agent made no changes'): void {
  events.emit('task.failed', {
    taskId: id,
    file: `task-${id} - Fix <b>login</b> & co.md`,
    code: 'AGENT_NO_CHANGES',
    error,
    retryable: false,
    elapsedMs: 1200,
  });
}

describe('notification channels against real receivers', () => {
  it('delivers a task.failed to Slack, a signed webhook, ntfy and email, with the reason and the hint', async () => {
    const { http, smtp, store, events, clock, sent } = await setup();
    failed(events, '7');
    expect(http.requests).toHaveLength(0); // batched: nothing before the window ends
    await clock.advance(1_000);
    await Promise.all([http.waitFor(3), smtp.waitFor(1)]);
    await clock.runUntil(() => sent.length === 4);

    const slack = JSON.parse(byPath(http, '/slack')[0]!.body.toString('utf8'));
    expect(slack.blocks.map((b: { type: string }) => b.type)).toEqual(['header', 'section', 'context']);
    expect(slack.blocks[0].text.text).toBe('Task 7 failed');
    const section = slack.blocks[1].text;
    expect(section.type).toBe('mrkdwn');
    expect(section.text).toContain('the agent made no changes');
    expect(section.text).toContain('Make ticket 7 more specific, then retry it');
    // Untrusted file names are escaped for mrkdwn: no live markup, no <!channel>-style tokens.
    expect(section.text).toContain('Fix &lt;b&gt;login&lt;/b&gt; &amp; co.md');
    expect(section.text).not.toContain('<b>');

    const hook = byPath(http, '/hook')[0]!;
    const expected = createHmac('sha256', HOOK_SECRET).update(hook.body).digest();
    const given = String(hook.headers['x-tp-signature']);
    expect(given).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(timingSafeEqual(Buffer.from(given.slice(7), 'hex'), expected)).toBe(true);
    expect(hook.headers['x-tp-event']).toBe('task.failed');
    const body = JSON.parse(hook.body.toString('utf8'));
    expect(hook.headers['x-tp-delivery']).toBe(body.delivery);
    expect(body).toMatchObject({ event: 'task.failed', count: 1, subject: 'Task 7 failed' });
    expect(body.items[0]).toMatchObject({
      taskId: '7',
      code: 'AGENT_NO_CHANGES',
      reason: 'the agent made no changes',
      hint: 'Make ticket 7 more specific, then retry it',
    });

    const push = byPath(http, '/ntfy')[0]!;
    expect(push.headers.title).toBe('Task 7 failed');
    expect(push.headers.priority).toBe('high');
    expect(push.body.toString('utf8')).toContain('the agent made no changes');
    expect(push.body.toString('utf8')).toContain('Make ticket 7 more specific, then retry it');

    const mail = smtp.mails[0]!;
    expect(mail.to).toEqual(['ops@example.test']);
    expect(mail.from).toBe('tp@example.test');
    expect(mail.user).toBe('tp'); // the password came from env:SMTP_PASS
    const text = mailText(mail.raw);
    expect(text).toMatch(/^Subject: \[ticket-processor\] Task 7 failed$/m);
    expect(text).toContain('the agent made no changes');
    expect(text).toContain('Make ticket 7 more specific, then retry it');
    const html = text.slice(text.indexOf('Content-Type: text/html'));
    expect(html).toContain('Fix &lt;b&gt;login&lt;/b&gt; &amp; co.md'); // escaped in the HTML part
    expect(html).not.toContain('<b>login');

    expect(
      store
        .listNotifications()
        .map((n) => [n.channel, n.status, n.attempts])
        .sort(),
    ).toEqual([
      ['hook', 'sent', 1],
      ['mail', 'sent', 1],
      ['push', 'sent', 1],
      ['slack', 'sent', 1],
    ]);
  });

  it('sends a storm of 20 failures as at most 2 messages per channel, listing all 20 tasks', async () => {
    const { http, smtp, events, clock, sent } = await setup();
    const ids = Array.from({ length: 20 }, (_, i) => String(100 + i));
    // The storm straddles a window: 12 in the first, 8 after it closed.
    for (const id of ids.slice(0, 12)) failed(events, id);
    await clock.advance(1_000);
    for (const id of ids.slice(12)) failed(events, id);
    await clock.advance(1_000);
    await clock.runUntil(() => sent.length === 8);

    const perChannel: Record<string, string[]> = {
      slack: byPath(http, '/slack').map((r) => r.body.toString('utf8')),
      hook: byPath(http, '/hook').map((r) => r.body.toString('utf8')),
      push: byPath(http, '/ntfy').map((r) => r.body.toString('utf8')),
      mail: smtp.mails.map((m) => mailText(m.raw)),
    };
    const table = Object.entries(perChannel).map(([channel, msgs]) => ({
      channel,
      eventsSent: ids.length,
      messagesReceived: msgs.length,
    }));
    console.log('storm of 20 task.failed events:', JSON.stringify(table));
    for (const [channel, msgs] of Object.entries(perChannel)) {
      expect(msgs.length, channel).toBeGreaterThanOrEqual(1);
      expect(msgs.length, channel).toBeLessThanOrEqual(2);
      const all = msgs.join('\n');
      for (const id of ids) expect(all, `${channel} lists task ${id}`).toMatch(new RegExp(`Task ${id}\\b`));
    }
    const hookBodies = perChannel.hook!.map((b) => JSON.parse(b) as { count: number; subject: string });
    expect(hookBodies.map((b) => b.count)).toEqual([12, 8]);
    expect(hookBodies[0]!.subject).toBe('12 tasks failed');
  });

  it('holds messages beyond maxPerHour and merges them into the next one, dropping none', async () => {
    const { http, events, clock, sent } = await setup({ maxPerHour: 1 });
    failed(events, '1');
    await clock.advance(1_000);
    await clock.runUntil(() => sent.length === 4);
    failed(events, '2');
    await clock.advance(1_000);
    failed(events, '3');
    await clock.advance(10 * 60_000);
    expect(byPath(http, '/hook')).toHaveLength(1); // the hour is not over
    await clock.advance(60 * 60_000);
    await clock.runUntil(() => sent.length === 8);
    const hooks = byPath(http, '/hook').map((r) => JSON.parse(r.body.toString('utf8')));
    expect(hooks.map((h) => h.items.map((i: { taskId: string }) => i.taskId))).toEqual([['1'], ['2', '3']]);
  });

  it('routes by the channel events list: a pr.opened goes to Slack and the others, with the PR link', async () => {
    const { http, smtp, events, clock, sent } = await setup();
    events.emit('task.published', {
      taskId: '9',
      branch: 'task-9',
      prUrl: 'https://forge.example.test/o/r/pulls/4',
      prNumber: 4,
      elapsedMs: 5,
    });
    events.emit('task.completed', { taskId: '9', prNumber: 4, via: 'cli' }); // by hand: not announced
    await clock.advance(1_000);
    await clock.runUntil(() => sent.length === 4);
    const slack = JSON.parse(byPath(http, '/slack')[0]!.body.toString('utf8'));
    expect(slack.blocks[1].text.text).toContain('<https://forge.example.test/o/r/pulls/4|PR #4>');
    expect(smtp.mails).toHaveLength(1);
    expect(sent.map((s) => s.event)).toEqual(['pr.opened', 'pr.opened', 'pr.opened', 'pr.opened']);
  });

  it('keeps the webhook secret and the SMTP password out of payloads, logs and the store', async () => {
    const { http, smtp, store, events, clock, sent, logLines, secrets } = await setup();
    expect(secrets).toEqual(expect.arrayContaining([HOOK_SECRET, SMTP_PASS, `${http.url}/slack`]));
    failed(events, '5', `push refused: token ${HOOK_SECRET} and ${SMTP_PASS} were wrong`);
    await clock.advance(1_000);
    await clock.runUntil(() => sent.length === 4);
    const everything = [
      ...http.requests.map((r) => `${JSON.stringify(r.headers)} ${r.body.toString('utf8')}`),
      ...smtp.mails.map((m) => m.raw),
      ...store.listNotifications().map((n) => JSON.stringify(n)),
      ...logLines,
    ].join('\n');
    expect(everything).toContain('push refused: token *** and *** were wrong');
    expect(everything).not.toContain(HOOK_SECRET);
    expect(everything).not.toContain(SMTP_PASS);
    // The Slack URL is a credential: not in what the store keeps.
    expect(
      store
        .listNotifications()
        .map((n) => n.payload)
        .join('\n'),
    ).not.toContain('/slack');
  });
});
