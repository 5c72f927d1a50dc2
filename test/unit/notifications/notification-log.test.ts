import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../src/store/index.js';
import { tmpDir } from '../../helpers/project.js';

const stores: SqliteStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

function open(): SqliteStore {
  const s = new SqliteStore(path.join(tmpDir('tp-notif-log-'), 'state.db'));
  stores.push(s);
  return s;
}

describe('notification deliveries in the store', () => {
  it('records, updates, lists (newest first, by status) and counts deliveries', () => {
    const store = open();
    const a = store.addNotification({
      channel: 'ops',
      event: 'task.failed',
      subject: 'Task 1 failed',
      payload: '{}',
    });
    const b = store.addNotification({
      channel: 'mail',
      event: 'digest',
      subject: 'Digest',
      payload: '{"x":1}',
    });
    expect(store.listNotifications().map((n) => [n.id, n.status, n.attempts])).toEqual([
      [b, 'pending', 0],
      [a, 'pending', 0],
    ]);
    store.updateNotification(a, { status: 'failed', attempts: 3, lastError: 'connect ECONNREFUSED' });
    store.updateNotification(b, { status: 'sent', attempts: 1 });
    const failed = store.listNotifications({ status: 'failed' });
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      channel: 'ops',
      event: 'task.failed',
      subject: 'Task 1 failed',
      payload: '{}',
      attempts: 3,
      lastError: 'connect ECONNREFUSED',
    });
    expect(store.listNotifications({ limit: 1 }).map((n) => n.id)).toEqual([b]);
    expect(store.notificationCounts()).toEqual({ pending: 0, sent: 1, failed: 1 });
  });
});
