import { afterEach, describe, expect, it } from 'vitest';
import { statsFixture } from './support.js';

const NOW = Date.parse('2026-03-10T12:00:00.000Z');

describe('stats: what runs now, from the live events', () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  it('follows a task from its claim through stages and attempts; an end event removes it', async () => {
    const f = statsFixture(NOW);
    close = () => f.store.close();
    const { events, clock } = f;
    events.emit('task.claimed', { taskId: '1', file: 'task-1 - A.md', attempt: 1 });
    clock.advance(1_500);
    events.emit('task.stage', { taskId: '1', file: 'task-1 - A.md', stage: 'agent', elapsedMs: 1_500 });
    events.emit('attempt.started', { taskId: '1', attemptNumber: 2, model: 'coder:7b', agent: 'builtin' });
    events.emit('task.claimed', { taskId: '2', file: 'task-2 - B.md', attempt: 1 });
    clock.advance(500);

    expect((await f.stats.snapshot()).running).toEqual([
      { taskId: '1', file: 'task-1 - A.md', stage: 'agent', elapsedMs: 2_000, model: 'coder:7b', attempt: 2 },
      {
        taskId: '2',
        file: 'task-2 - B.md',
        stage: undefined,
        elapsedMs: 500,
        model: undefined,
        attempt: undefined,
      },
    ]);

    events.emit('task.published', {
      taskId: '1',
      branch: 'b',
      prUrl: undefined,
      prNumber: undefined,
      elapsedMs: 2_000,
    });
    events.emit('task.failed', {
      taskId: '2',
      code: 'AGENT_FAILED',
      error: 'x',
      retryable: false,
      elapsedMs: 500,
    });
    expect((await f.stats.snapshot()).running).toEqual([]);

    events.emit('task.claimed', { taskId: '3', attempt: 1 });
    events.emit('task.requeued', { taskId: '3', reason: 'shutdown' });
    expect((await f.stats.snapshot()).running).toEqual([]);
  });

  it('a stage of a run it never saw claimed (a follow-up) is shown, its elapsed time taken from the event', async () => {
    const f = statsFixture(NOW);
    close = () => f.store.close();
    f.events.emit('task.stage', { taskId: '7', stage: 'verify', elapsedMs: 4_000 });
    f.clock.advance(1_000);
    const [run] = (await f.stats.snapshot()).running;
    expect(run).toMatchObject({ taskId: '7', stage: 'verify', elapsedMs: 5_000 });
  });

  it('stops listening when stopped', async () => {
    const f = statsFixture(NOW);
    close = () => f.store.close();
    f.stats.stop();
    f.events.emit('task.claimed', { taskId: '1', attempt: 1 });
    expect((await f.stats.snapshot()).running).toEqual([]);
  });
});
