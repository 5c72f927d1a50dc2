import { afterEach, describe, expect, it } from 'vitest';
import type { EventBus } from '../../../src/events/index.js';
import { ManualClock, startNotifier, startRecorder } from '../../unit/notifications/support.js';

/* host.down and the daily digest: timers on a manual clock, delivered to a real webhook receiver. */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(clock: ManualClock, extra: Record<string, unknown> = {}) {
  const http = await startRecorder();
  cleanups.push(() => http.close());
  const { store, events, notifier, sent } = startNotifier(
    {
      batchWindowMs: 0,
      hostDownMinutes: 5,
      digestHour: 9,
      ...extra,
      channels: [{ name: 'hook', type: 'webhook', url: `${http.url}/hook`, events: ['host.down', 'digest'] }],
    },
    { clock, cleanups, prefix: 'tp-notif-timers-' },
  );
  const bodies = () => http.requests.map((r) => JSON.parse(r.body.toString('utf8')));
  return { http, store, events, notifier, sent, bodies };
}

const opened = (events: EventBus, host: string) =>
  events.emit('breaker.opened', { host, failures: 3, error: 'connect ECONNREFUSED', code: 'NETWORK' });

describe('host.down', () => {
  it('is sent once a breaker stays open for hostDownMinutes, and not when it closes sooner', async () => {
    const clock = new ManualClock();
    const { events, sent, bodies } = await setup(clock);
    opened(events, 'http://gpu-a:11434');
    opened(events, 'http://gpu-b:11434');
    await clock.advance(3 * 60_000);
    events.emit('breaker.closed', { host: 'http://gpu-b:11434' }); // back within 3 minutes
    events.emit('breaker.half_open', { host: 'http://gpu-a:11434' }); // a trial, still not closed
    opened(events, 'http://gpu-a:11434'); // the trial failed: the outage goes on, its start stays
    await clock.advance(2 * 60_000 - 1);
    expect(sent).toHaveLength(0);
    await clock.advance(1);
    await clock.runUntil(() => sent.length === 1);
    // Still down: trials fail and the breaker re-opens, but the host was announced once.
    events.emit('breaker.half_open', { host: 'http://gpu-a:11434' });
    opened(events, 'http://gpu-a:11434');
    await clock.advance(30 * 60_000);
    expect(sent.map((s) => s.event)).toEqual(['host.down']);
    const [body] = bodies();
    expect(body.subject).toBe('Ollama host http://gpu-a:11434 is down');
    expect(body.items[0]).toMatchObject({
      host: 'http://gpu-a:11434',
      minutes: 5,
      reason: 'connect ECONNREFUSED',
    });
  });
});

describe('daily digest', () => {
  it('is sent at digestHour local time with the counts of the last 24 h, then again a day later', async () => {
    // 08:30 local time on some day.
    const clock = new ManualClock(new Date(2026, 2, 10, 8, 30, 0).getTime());
    const { store, sent, bodies } = await setup(clock);
    store.upsertRun({ taskId: '1', file: 'a.md', state: 'completed' });
    store.upsertRun({ taskId: '2', file: 'b.md', state: 'review' });
    store.upsertRun({ taskId: '3', file: 'c.md', state: 'failed', error: 'boom' });
    store.upsertRun({ taskId: '4', file: 'd.md', state: 'failed', error: 'bang' });
    await clock.advance(29 * 60_000);
    expect(sent).toHaveLength(0);
    await clock.advance(60_000); // 09:00
    await clock.runUntil(() => sent.length === 1);
    const [digest] = bodies();
    expect(digest.event).toBe('digest');
    expect(digest.items[0].counts).toEqual({ completed: 1, review: 1, failed: 2 });
    expect(digest.items[0].failedTasks).toEqual(['3', '4']);
    expect(digest.text).toMatch(/2 done \(1 merged, 1 in review\), 2 failed/);
    await clock.advance(24 * 60 * 60_000 - 1);
    expect(sent).toHaveLength(1);
    await clock.advance(1);
    await clock.runUntil(() => sent.length === 2);
  });
});
