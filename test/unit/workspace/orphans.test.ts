import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { killProcessesUnder } from '../../../src/workspace/orphans.js';
import { tmpDir } from '../../helpers/project.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('killProcessesUnder', () => {
  it('kills detached process groups working inside the folder, and nothing outside it', async () => {
    const root = tmpDir();
    const inside = path.join(root, 'worktrees', 'task-1');
    const outside = path.join(root, 'elsewhere');
    mkdirSync(inside, { recursive: true });
    mkdirSync(outside, { recursive: true });
    // An "agent" and its child, in their own group, as the process runner starts them.
    const orphan = spawn('/bin/sh', ['-c', 'sleep 60 & wait'], {
      cwd: inside,
      detached: true,
      stdio: 'ignore',
    });
    const bystander = spawn('sleep', ['60'], { cwd: outside, detached: true, stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 200));
    try {
      expect(await killProcessesUnder(path.join(root, 'worktrees'))).toBe(1);
      await new Promise((r) => setTimeout(r, 200));
      expect(alive(orphan.pid!)).toBe(false);
      expect(alive(bystander.pid!)).toBe(true);
    } finally {
      bystander.kill('SIGKILL');
      orphan.kill('SIGKILL');
    }
  });
});
