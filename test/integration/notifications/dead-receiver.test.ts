import { afterEach, describe, expect, it } from 'vitest';
import { openAppsClosedAfterEach } from '../../helpers/apps.js';
import { folderContents, makeProject, writeTask } from '../../helpers/project.js';
import { closedPort, ManualClock, startNotifier, startRecorder } from '../../unit/notifications/support.js';

/*
 * A dead receiver (a closed port; a server that accepts and never answers) must never slow or
 * fail the pipeline: emitting only enqueues, delivery runs in the background, retries back off,
 * and the message ends `failed` in the store with its error.
 */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const open = openAppsClosedAfterEach();

describe('a dead receiver', () => {
  it('retries with exponential backoff on the clock, then keeps the delivery as failed with its error', async () => {
    const port = await closedPort();
    const clock = new ManualClock();
    const { store, events, failures, notifier } = startNotifier(
      {
        batchWindowMs: 0,
        retries: 3,
        retryDelayMs: 1_000,
        channels: [{ name: 'dead', type: 'webhook', url: `http://127.0.0.1:${port}/hook` }],
      },
      { clock, cleanups, prefix: 'tp-notif-dead-' },
    );
    const t0 = clock.now();
    events.emit('task.failed', {
      taskId: '1',
      code: 'PUSH_FAILED',
      error: 'x',
      retryable: true,
      elapsedMs: 1,
    });
    await clock.runUntil(() => failures.length === 1);
    // 1 s, 2 s, 4 s between the four tries: the clock moved exactly by the backoff.
    expect(clock.now() - t0).toBe(7_000);
    const [row] = store.listNotifications();
    expect(row).toMatchObject({ channel: 'dead', event: 'task.failed', status: 'failed', attempts: 4 });
    expect(row!.lastError).toMatch(/ECONNREFUSED/);
    expect(failures).toEqual([
      { channel: 'dead', event: 'task.failed', attempts: 4, error: expect.stringMatching(/ECONNREFUSED/) },
    ]);
    expect(notifier.stats()).toMatchObject({ sent: 0, failed: 1 });
  });

  it('gives up on a server that never answers after timeoutMs per try, and keeps the delivery as failed', async () => {
    const hanging = await startRecorder({ hang: true });
    cleanups.push(() => hanging.close());
    const clock = new ManualClock();
    const { store, events, failures } = startNotifier(
      {
        batchWindowMs: 0,
        retries: 1,
        retryDelayMs: 5_000,
        timeoutMs: 150,
        channels: [{ name: 'silent', type: 'ntfy', url: `${hanging.url}/topic` }],
      },
      { clock, cleanups, prefix: 'tp-notif-hang-' },
    );
    events.emit('task.needs_attention', {
      taskId: '3',
      prUrl: undefined,
      prNumber: 2,
      reason: 'critical finding',
    });
    await clock.runUntil(() => failures.length === 1);
    expect(hanging.requests).toHaveLength(2); // both tries reached the server, neither got an answer
    const [row] = store.listNotifications();
    expect(row).toMatchObject({
      channel: 'silent',
      event: 'task.needs_attention',
      status: 'failed',
      attempts: 2,
    });
    expect(row!.lastError).toBe('timed out after 150 ms');
  });

  it('never slows the pipeline: the task reaches review/ while deliveries to dead receivers fail', async () => {
    const hanging = await startRecorder({ hang: true });
    cleanups.push(() => hanging.close());
    const port = await closedPort();
    const { root } = await makeProject({
      agent: { type: 'command', command: 'echo change > "file-$TP_TASK_ID.txt"' },
      notifications: {
        batchWindowMs: 0,
        retries: 2,
        retryDelayMs: 20,
        // Far longer than the run: this delivery is still in flight when the task is in review.
        timeoutMs: 120_000,
        channels: [
          { name: 'refused', type: 'webhook', url: `http://127.0.0.1:${port}/hook` },
          { name: 'silent', type: 'webhook', url: `${hanging.url}/hook` },
        ],
      },
    });
    writeTask(root, '1', { title: 'Works despite dead receivers' });
    const app = await open(root);
    expect(app.notifier).toBeDefined();
    const refusedFailed = app.events.waitFor(
      'notification.failed',
      (e) => e.channel === 'refused' && e.event === 'task.failed',
    );
    // Emitting returns at once: the listener only enqueues.
    app.events.emit('task.failed', {
      taskId: '99',
      code: 'AGENT_FAILED',
      error: 'an earlier failure',
      retryable: false,
      elapsedMs: 1,
    });
    expect(app.store.listNotifications()).toHaveLength(0);

    await app.worker.start({ watch: false });
    await app.worker.idle();
    expect(folderContents(root)).toMatchObject({
      review: ['task-1 - Works despite dead receivers.md'],
      failed: [],
    });
    await hanging.waitFor(1);
    // The pipeline's run is over; the silent receiver's first try has not even timed out.
    const silent = app.store.listNotifications().filter((n) => n.channel === 'silent');
    expect(silent.length).toBeGreaterThanOrEqual(1);
    expect(silent.every((n) => n.status === 'pending')).toBe(true);

    const failure = await refusedFailed;
    expect(failure).toMatchObject({ attempts: 3, error: expect.stringMatching(/ECONNREFUSED/) });
    const refused = app.store.listNotifications().filter((n) => n.channel === 'refused');
    const summary = refused.map((n) => ({ event: n.event, status: n.status, attempts: n.attempts }));
    console.log(
      'dead receiver:',
      JSON.stringify({
        review: folderContents(root).review,
        refused: summary,
        silentWhenRunDone: silent.map((n) => ({ event: n.event, status: n.status, attempts: n.attempts })),
      }),
    );
    const failedOne = refused.find((n) => n.event === 'task.failed')!;
    expect(failedOne).toMatchObject({ status: 'failed', attempts: 3 });
    expect(failedOne.lastError).toMatch(/ECONNREFUSED/);
    // close() gives up on the silent receiver after its short deadline; the delivery stays
    // pending and is retried at the next start.
    await app.close();
    const again = await open(root);
    const pending = again.store.listNotifications({ status: 'pending' });
    expect(pending.map((n) => n.channel)).toContain('silent');
  });
});
