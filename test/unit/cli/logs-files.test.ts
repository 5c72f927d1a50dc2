import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { logsCommand } from '../../../src/cli/logs-command.js';
import { LogHub } from '../../../src/observability/index.js';

function io(cwd: string) {
  const out: string[] = [];
  return {
    out,
    io: { out: (l: string) => out.push(l), err: () => undefined, env: {}, cwd, isTty: false },
  };
}

describe('logs over rotated files', () => {
  it('reads gzipped and plain rotations oldest first, then the current file, from the real LogHub format', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tp-logs-'));
    writeFileSync(path.join(root, 'config.json'), '{}');
    const dir = path.join(root, 'logs');
    const hub = new LogHub({
      level: 'info',
      directory: dir,
      maxSize: '10M',
      maxFiles: 5,
      compress: true,
      format: 'json',
      includeTimestamp: true,
      secrets: ['hunter2-secret'],
    });
    const log = hub.get('processor');
    log.info({ taskId: '42' }, 'newest');
    log.info({ taskId: '9' }, 'other task');
    log.error({ taskId: '42', token: 'hunter2-secret' }, 'failed with a secret');
    await hub.close();
    expect(readdirSync(dir)).toContain('processor.log');
    // Two older generations, as rotating-file-stream names them with compress on.
    const old = (message: string, ts: string) =>
      `${JSON.stringify({ level: 'info', timestamp: ts, component: 'processor', taskId: '42', message })}\n`;
    writeFileSync(path.join(dir, 'processor.log.2.gz'), gzipSync(old('oldest', '2020-01-01T00:00:00.000Z')));
    writeFileSync(path.join(dir, 'processor.log.1.gz'), gzipSync(old('older', '2020-01-02T00:00:00.000Z')));

    const a = io(root);
    expect(await logsCommand(a.io, { task: '42' })).toBe(0);
    expect(a.out.map((l) => /#42 (.*?)( {2}|$)/.exec(l)?.[1])).toEqual([
      'oldest',
      'older',
      'newest',
      'failed with a secret',
    ]);
    expect(a.out.join('\n')).not.toContain('hunter2-secret');
    expect(a.out.at(-1)).toMatch(/ ERROR processor #42 failed with a secret {2}token=\*\*\*$/);

    const b = io(root);
    await logsCommand(b.io, { task: 'task-42', level: 'error', json: true });
    expect(b.out.map((l) => JSON.parse(l).message)).toEqual(['failed with a secret']);

    const c = io(root);
    await logsCommand(c.io, { lines: '1' });
    expect(c.out).toHaveLength(1);
    expect(c.out[0]).toContain('failed with a secret');
  });
});
