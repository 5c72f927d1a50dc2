import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FailureReport } from '../../../src/intake/types.js';
import { writeTask } from '../../helpers/project.js';
import { HOUR, statsFixture } from './support.js';

const NOW = Date.parse('2026-03-10T12:00:00.000Z');

function report(taskId: string, file: string, over: Partial<FailureReport> = {}): FailureReport {
  return {
    taskId,
    filename: file,
    timestamp: new Date(NOW - HOUR).toISOString(),
    error: 'Agent made no changes.',
    errorType: 'permanent',
    code: 'AGENT_NO_CHANGES',
    retryable: false,
    retryCount: 2,
    model: 'coder:7b',
    stage: 'agent',
    hint: 'Make the task more specific.',
    attempts: [],
    ...over,
  };
}

describe('stats: the snapshot', () => {
  let close: (() => void) | undefined;
  afterEach(() => {
    vi.useRealTimers();
    close?.();
  });

  it('processing counts each task once by its latest outcome in the window; review sums the findings', async () => {
    const f = statsFixture(NOW, { secrets: ['s3cret-token'] });
    close = () => f.store.close();
    vi.useFakeTimers({ toFake: ['Date'] });
    const at = (ms: number, name: string, taskId: string, payload: Record<string, unknown>) => {
      vi.setSystemTime(ms);
      f.store.audit(name, taskId, { taskId, ...payload });
    };
    at(NOW - 2 * HOUR, 'task.published', '1', { elapsedMs: 40_000 });
    at(NOW - 2 * HOUR, 'task.failed', '2', { elapsedMs: 1_000, code: 'AGENT_FAILED' });
    // Task 3 failed, was retried and then published: one success.
    at(NOW - 3 * HOUR, 'task.failed', '3', { elapsedMs: 1_000, code: 'AGENT_FAILED' });
    at(NOW - HOUR, 'task.published', '3', { elapsedMs: 20_000 });
    // Outside the 24 h window.
    at(NOW - 25 * HOUR, 'task.failed', '4', { elapsedMs: 1_000, code: 'AGENT_FAILED' });
    const findings = (critical: number, major: number, minor: number, info: number) => ({
      critical,
      major,
      minor,
      info,
    });
    at(NOW - HOUR, 'review.completed', '1', { status: 'ok', round: 1, findings: findings(1, 2, 0, 3) });
    at(NOW - HOUR, 'review.completed', '1', { status: 'ok', round: 2, findings: findings(0, 1, 4, 0) });
    at(NOW - HOUR, 'review.completed', '3', {
      status: 'unavailable',
      round: 1,
      findings: findings(0, 0, 0, 0),
    });
    at(NOW - 30 * HOUR, 'review.completed', '4', { status: 'ok', round: 1, findings: findings(9, 9, 9, 9) });
    vi.useRealTimers();

    // Folders now: one waiting, one failed with its report (a secret in its reason is redacted).
    writeTask(f.root, '8', { title: 'Waits' });
    const doing = writeTask(f.root, '9', { title: 'Broke' }, 'doing');
    const name = path.basename(doing);
    await f.source.toFailed(
      doing,
      report('9', name, { error: 'push to https://x:s3cret-token@h/r failed' }),
      'log',
    );

    const snap = await f.stats.snapshot();
    expect(snap.processing).toEqual({
      total: 3,
      successful: 2,
      failed: 1,
      successRate: 2 / 3,
      avgProcessingTime: 30,
      folders: { todo: 1, doing: 0, review: 0, failed: 1, completed: 0 },
      windowHours: 24,
    });
    expect(snap.review).toEqual({ reviews: 3, unavailable: 1, findings: findings(1, 3, 4, 3) });
    expect(snap.failures).toEqual([
      {
        taskId: '9',
        file: name,
        code: 'AGENT_NO_CHANGES',
        reason: 'push to https://***@h/r failed',
        hint: 'Make the task more specific.',
        retryable: false,
        retryCount: 2,
        failedAt: new Date(NOW - HOUR).toISOString(),
      },
    ]);
    expect(snap.system).toEqual({
      uptime: 90,
      ollamaHealthy: true,
      queueDepth: 1,
      version: '9.9.9-test',
      generatedAt: new Date(NOW).toISOString(),
    });
    expect(snap.hosts).toEqual([]);
    expect(snap.queues.map((q) => q.name)).toEqual(['default']);
    expect(snap.notifications).toEqual({ sent: 0, failed: 0, pending: 0 });
  });

  it('notifications: the deliveries the store keeps, per status', async () => {
    const f = statsFixture(NOW);
    close = () => f.store.close();
    const add = (subject: string) =>
      f.store.addNotification({ channel: 'slack#0', event: 'task.failed', subject, payload: '{}' });
    add('a');
    f.store.updateNotification(add('b'), { status: 'sent', attempts: 1 });
    f.store.updateNotification(add('c'), { status: 'failed', attempts: 5, lastError: 'HTTP 500' });
    f.store.updateNotification(add('d'), { status: 'failed', attempts: 5, lastError: 'HTTP 500' });
    expect((await f.stats.snapshot()).notifications).toEqual({ sent: 1, failed: 2, pending: 1 });
  });

  it('hosts come from the router; Ollama is healthy while one host takes calls', async () => {
    const report = (url: string, state: 'CLOSED' | 'OPEN' | 'HALF_OPEN') => ({
      url,
      state,
      healthy: state === 'CLOSED' ? true : state === 'OPEN' ? false : undefined,
      latencyMs: state === 'CLOSED' ? 12 : undefined,
      lastError: state === 'OPEN' ? 'connect ECONNREFUSED' : undefined,
      lastErrorCode: undefined,
      models: state === 'CLOSED' ? ['coder:7b'] : undefined,
      lastCheckedAt: undefined,
      nextProbeInMs: undefined,
      weight: 1,
    });
    let hosts = [report('http://a:11434', 'CLOSED'), report('http://b:11434', 'OPEN')];
    const f = statsFixture(NOW, { router: { healthReport: () => hosts } });
    close = () => f.store.close();
    const snap = await f.stats.snapshot();
    expect(snap.system.ollamaHealthy).toBe(true);
    expect(snap.hosts).toEqual([
      {
        url: 'http://a:11434',
        state: 'CLOSED',
        healthy: true,
        latencyMs: 12,
        lastError: undefined,
        models: ['coder:7b'],
      },
      {
        url: 'http://b:11434',
        state: 'OPEN',
        healthy: false,
        latencyMs: undefined,
        lastError: 'connect ECONNREFUSED',
        models: [],
      },
    ]);
    hosts = [report('http://b:11434', 'OPEN')];
    expect((await f.stats.snapshot()).system.ollamaHealthy).toBe(false);
  });
});
