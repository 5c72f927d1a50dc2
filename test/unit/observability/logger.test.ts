import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogHub } from '../../../src/observability/index.js';
import { tmpDir } from '../../helpers/project.js';

const opts = (directory: string, extra: Partial<ConstructorParameters<typeof LogHub>[0]> = {}) => ({
  level: 'debug',
  directory,
  maxSize: '10m',
  maxFiles: 3,
  compress: false,
  format: 'json' as const,
  includeTimestamp: true,
  secrets: ['hunter2-secret-value'],
  ...extra,
});

describe('LogHub', () => {
  it('writes one file per component plus error.log, with the structured fields, secrets redacted', async () => {
    const dir = tmpDir();
    const hub = new LogHub(opts(dir));
    hub
      .get('processor')
      .info(
        { taskId: '42', model: 'qwen', attemptNumber: 2, elapsedMs: 1500 },
        'done with hunter2-secret-value',
      );
    hub.get('watcher').warn({ taskId: '7' }, 'odd file');
    hub.get('git').error({ taskId: '42', url: 'https://user:tok@host/x.git' }, 'push failed');
    await hub.close();
    expect(readdirSync(dir).sort()).toEqual(['error.log', 'git.log', 'processor.log', 'watcher.log']);
    const line = JSON.parse(readFileSync(path.join(dir, 'processor.log'), 'utf8').trim());
    expect(line).toMatchObject({
      level: 'info',
      component: 'processor',
      taskId: '42',
      model: 'qwen',
      attemptNumber: 2,
      elapsedMs: 1500,
    });
    expect(line.message).toBe('done with ***');
    expect(Date.parse(line.timestamp)).not.toBeNaN();
    const errors = readFileSync(path.join(dir, 'error.log'), 'utf8');
    expect(errors).toContain('"component":"git"');
    expect(errors).not.toContain('tok@');
    expect(errors).not.toContain('odd file');
  });

  it('rotates at maxSize and keeps at most maxFiles', async () => {
    const dir = tmpDir();
    const hub = new LogHub(opts(dir, { maxSize: '1k', maxFiles: 2, level: 'info' }));
    const log = hub.get('processor');
    for (let i = 0; i < 200; i++) {
      log.info({ i }, 'x'.repeat(60));
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    await hub.close();
    const files = readdirSync(dir).filter((f) => f.startsWith('processor'));
    expect(files).toContain('processor.log');
    expect(files).toContain('processor.log.1');
    expect(files.filter((f) => /^processor\.log\.\d+$/.test(f)).length).toBeLessThanOrEqual(2);
    expect(files).not.toContain('processor.log.3');
  });

  it('writes readable lines with format "pretty"', async () => {
    const dir = tmpDir();
    const hub = new LogHub(opts(dir, { format: 'pretty' }));
    hub.get('processor').info({ taskId: '3' }, 'hello');
    await hub.close();
    expect(readFileSync(path.join(dir, 'processor.log'), 'utf8')).toMatch(
      /Z INFO +\[processor\] hello \{"taskId":"3"\}/,
    );
  });
});
