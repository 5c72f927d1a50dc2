import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitOut, runCli, tmpDir } from '../../helpers/project.js';

describe('ticket-processor demo', () => {
  it('runs the built-in agent against the labelled simulation and leaves real branches and PRs', async () => {
    const cwd = tmpDir();
    const r = await runCli(['demo', '--dir', 'demo', '--simulate'], { cwd, timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('MODEL: SIMULATION');
    expect(r.stdout).toMatch(/task 3: ✔ PR/);
    const remote = path.join(cwd, 'demo', 'remote.git');
    expect(gitOut(['show', 'task-3:src/math.js'], remote)).toContain('export function multiply(a, b)');
    expect(gitOut(['show', 'main:src/math.js'], remote)).toContain('export function subtract(a, b)');
    expect(gitOut(['show', 'task-2:README.md'], remote)).toContain('## Usage');
  }, 150_000);
});
