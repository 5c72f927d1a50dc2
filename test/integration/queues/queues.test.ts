import { utimesSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { statusCommand } from '../../../src/cli/ops-commands.js';
import type { QueueStats } from '../../../src/queue/index.js';
import { openAppsClosedAfterEach } from '../../helpers/apps.js';
import { folderContents, makeProject, writeTask } from '../../helpers/project.js';

const open = openAppsClosedAfterEach();
const WRITE = 'echo "change $TP_TASK_ID" > "file-$TP_TASK_ID.txt"';
const QUEUES = [{ name: 'urgent', concurrency: 2, labels: ['hotfix'], priorities: ['high'] }];

async function status(root: string, json: boolean): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const io = { out: (l: string) => lines.push(l), err: () => {}, env: {}, cwd: root, isTty: false };
  const code = await statusCommand(io, json ? { json: true } : {});
  return { code, out: lines.join('\n') };
}

describe('named queues through the real app', () => {
  it('runs urgent (2) and default (1) within their own slots and publishes every task', async () => {
    const { root } = await makeProject({
      agent: { type: 'command', command: WRITE },
      processing: { concurrency: 1, queues: QUEUES },
    });
    for (const id of ['1', '2', '3']) writeTask(root, id, { extra: 'labels: [hotfix]' });
    writeTask(root, '4', { priority: 'high' });
    for (const id of ['5', '6']) writeTask(root, id, { priority: 'low' });
    const app = await open(root);
    const seen: QueueStats[][] = [];
    // At every claim, what the worker counts as running per queue.
    app.events.on('task.claimed', () => seen.push(app.worker.queueStats()));
    await app.worker.start({ watch: false });
    await app.worker.idle();

    expect(folderContents(root).review).toHaveLength(6);
    expect(seen).toHaveLength(6);
    const peak = (name: string) => Math.max(...seen.map((s) => s.find((q) => q.name === name)?.running ?? 0));
    expect(peak('urgent')).toBeLessThanOrEqual(2);
    expect(peak('default')).toBeLessThanOrEqual(1);
    // The first scheduling pass (after the start-up scan) filled every slot of both queues.
    expect(seen[0]?.map((q) => [q.name, q.running, q.waiting])).toEqual([
      ['urgent', 2, 2],
      ['default', 1, 1],
    ]);
    expect(app.worker.queueStats().map((q) => [q.name, q.concurrency, q.running, q.waiting])).toEqual([
      ['urgent', 2, 0, 0],
      ['default', 1, 0, 0],
    ]);
  });

  it('status shows per queue: concurrency, running, waiting, oldest wait and SLA breaches', async () => {
    const { root } = await makeProject({
      processing: { concurrency: 3, queues: QUEUES, slaMinutes: { low: 30, medium: 60 } },
    });
    const hour = 3_600_000;
    const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
    writeTask(root, '1', { priority: 'low', extra: `createdAt: ${ago(2 * hour)}` });
    writeTask(root, '2', { priority: 'medium', extra: `createdAt: ${ago(10 * 60_000)}` });
    writeTask(root, '3', { priority: 'high', extra: `createdAt: ${ago(5 * 60_000)}` });
    // No createdAt: the wait counts from the file's time.
    const file = writeTask(root, '4', { extra: 'labels: [hotfix]' });
    utimesSync(file, new Date(Date.now() - 20 * 60_000), new Date(Date.now() - 20 * 60_000));

    const json = await status(root, true);
    expect(json.code).toBe(0);
    const body = JSON.parse(json.out) as { counts: Record<string, number>; queues: QueueStats[] };
    expect(body.counts.todo).toBe(4);
    const [urgent, dflt] = body.queues;
    expect(urgent).toMatchObject({
      name: 'urgent',
      concurrency: 2,
      running: 0,
      waiting: 2,
      pastSla: 0,
      raised: 0,
    });
    expect(urgent?.oldestWaitMs).toBeGreaterThanOrEqual(20 * 60_000);
    expect(urgent?.oldestWaitMs).toBeLessThan(hour);
    // Task 1 (low) waited 2 h: past its 30 min SLA, raised low→medium at 30 min and medium→high at 90 min.
    expect(dflt).toMatchObject({
      name: 'default',
      concurrency: 3,
      running: 0,
      waiting: 2,
      pastSla: 1,
      raised: 2,
    });
    expect(dflt?.oldestWaitMs).toBeGreaterThanOrEqual(2 * hour);

    const text = await status(root, false);
    expect(text.out).toMatch(/todo\s+4/);
    expect(text.out).toMatch(/QUEUE\s+CONCURRENCY\s+RUNNING\s+WAITING\s+OLDEST WAIT\s+PAST SLA\s+RAISED/);
    expect(text.out).toMatch(/urgent\s+2\s+0\s+2\s+20 min\s+0\s+0/);
    expect(text.out).toMatch(/default\s+3\s+0\s+2\s+2 h 0 min\s+1\s+2/);
  });

  it('status without queues or SLAs shows the one default queue', async () => {
    const { root } = await makeProject({ processing: { concurrency: 2 } });
    writeTask(root, '1');
    const body = JSON.parse((await status(root, true)).out) as { queues: QueueStats[] };
    expect(body.queues).toMatchObject([
      { name: 'default', concurrency: 2, waiting: 1, pastSla: 0, raised: 0 },
    ]);
  });
});
