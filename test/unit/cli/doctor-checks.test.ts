import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDoctor } from '../../../src/cli/doctor/index.js';
import { satisfies } from '../../../src/cli/doctor/system.js';
import { formatCheck } from '../../../src/cli/doctor-command.js';

describe('doctor checks', () => {
  it('reads engines ranges the way npm does for the usual forms', () => {
    expect(satisfies('v20.19.0', '>=20.19')).toBe(true);
    expect(satisfies('v20.18.3', '>=20.19')).toBe(false);
    expect(satisfies('v22.1.0', '>=20.19')).toBe(true);
    expect(satisfies('v22.1.0', '>=20 <22')).toBe(false);
    expect(satisfies('v20.5.0', '^20.4.1')).toBe(true);
    expect(satisfies('v21.0.0', '^20.4.1')).toBe(false);
    expect(satisfies('v20.4.9', '~20.4.1')).toBe(true);
  });

  it('an invalid config is one ✘ line with its message and fix; no check that needs it runs', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tp-doctor-'));
    writeFileSync(path.join(dir, 'config.json'), '{ "webhook": { "port": "eighty" } }');
    const report = await runDoctor({ cwd: dir, env: { PATH: process.env.PATH } });
    expect(report.ok).toBe(false);
    const failed = report.checks.filter((c) => c.status === 'fail');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.what).toBe('config');
    expect(failed[0]!.detail).toContain('webhook.port');
    expect(report.checks.map((c) => c.what.split(' ')[0])).not.toContain('ollama');
    expect(report.checks.at(-1)!.what).toBe('disk');
  });

  it('formats ✔, ! and ✘ lines', () => {
    expect(formatCheck({ status: 'ok', what: 'git 2.39.5' })).toBe('✔ git 2.39.5');
    expect(formatCheck({ status: 'warn', what: 'disk', detail: 'only 0.5 GiB free', fix: 'free some' })).toBe(
      '! disk: only 0.5 GiB free → free some',
    );
    expect(formatCheck({ status: 'fail', what: 'model x', detail: 'not pulled', fix: 'ollama pull x' })).toBe(
      '✘ model x: not pulled → ollama pull x',
    );
  });
});
