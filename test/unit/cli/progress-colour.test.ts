import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../../src/cli/context.js';
import { attachProgress, useColour } from '../../../src/cli/progress.js';
import { EventBus } from '../../../src/events/index.js';

function io(isTty: boolean, env: Record<string, string> = {}): CliIo & { lines: string[] } {
  const lines: string[] = [];
  return { out: (l) => lines.push(l), err: (l) => lines.push(l), env, cwd: '/', isTty, lines };
}

describe('logging.colorize: console progress colour', () => {
  it('colours only on a terminal, when colorize is on and NO_COLOR is unset', () => {
    expect(useColour(true, io(true))).toBe(true);
    expect(useColour(false, io(true))).toBe(false);
    expect(useColour(true, io(false))).toBe(false);
    expect(useColour(true, io(true, { NO_COLOR: '1' }))).toBe(false);
    expect(useColour(true, io(false, { FORCE_COLOR: '1' }))).toBe(true);
    expect(useColour(false, io(false, { FORCE_COLOR: '1' }))).toBe(false);
  });

  it('paints a failure red and a published PR green, and leaves plain lines alone', () => {
    const events = new EventBus();
    const out = io(true);
    attachProgress(events, out, { colour: true });
    events.emit('task.failed', {
      taskId: '7',
      code: 'INTERNAL',
      error: 'boom',
      retryable: false,
      elapsedMs: 1,
    });
    events.emit('task.published', { taskId: '8', branch: 'b', prUrl: 'u', prNumber: 1, elapsedMs: 1 });
    events.emit('task.claimed', { taskId: '9', file: 'task-9.md', attempt: 1 });
    expect(out.lines[0]).toBe('\u001b[31mtask 7: ✘ failed: boom → failed/\u001b[0m');
    expect(out.lines[1]).toMatch(/^\u001b\[32mtask 8: ✔ PR u/);
    expect(out.lines[2]).toBe('task 9: claimed (task-9.md)');
    const plain = io(false);
    attachProgress(events, plain, { colour: false });
    events.emit('task.failed', {
      taskId: '7',
      code: 'INTERNAL',
      error: 'boom',
      retryable: false,
      elapsedMs: 1,
    });
    expect(plain.lines[0]).toBe('task 7: ✘ failed: boom → failed/');
  });
});
