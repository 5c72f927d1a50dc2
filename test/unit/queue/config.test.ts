import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { TpError } from '../../../src/errors/index.js';
import { tmpDir } from '../../helpers/project.js';

function load(processing: Record<string, unknown>) {
  const cwd = tmpDir('tp-queue-config-');
  writeFileSync(path.join(cwd, 'config.json'), JSON.stringify({ processing }));
  return loadConfig({ cwd, env: {} });
}

function refusal(processing: Record<string, unknown>): TpError {
  try {
    load(processing);
  } catch (err) {
    if (err instanceof TpError) return err;
    throw err;
  }
  throw new Error('config was accepted');
}

describe('processing.queues validation', () => {
  it('accepts queues routed by priority or label, and a bare `default` that only sets its concurrency', () => {
    const { config } = load({
      queues: [
        { name: 'urgent', concurrency: 2, priorities: ['high'] },
        { name: 'docs', labels: ['docs'] },
        { name: 'default', concurrency: 3 },
      ],
      slaMinutes: { low: 30 },
    });
    expect(config.processing.queues.map((q) => [q.name, q.concurrency])).toEqual([
      ['urgent', 2],
      ['docs', 1],
      ['default', 3],
    ]);
    expect(config.processing.slaMinutes).toEqual({ low: 30 });
  });

  it('refuses duplicate queue names with CONFIG_INVALID', () => {
    const err = refusal({
      queues: [
        { name: 'urgent', priorities: ['high'] },
        { name: 'urgent', labels: ['bug'] },
      ],
    });
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toMatch(/processing\.queues\.1\.name: queue "urgent" is declared twice/);
  });

  it('refuses a named queue with neither labels nor priorities', () => {
    const err = refusal({ queues: [{ name: 'lonely', concurrency: 2 }] });
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toMatch(/processing\.queues\.0: queue "lonely" has neither labels nor priorities/);
  });
});
