import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const STORE = pathToFileURL(path.resolve('dist/src/store/index.js')).href;

/** Opens (and so migrates) the store in a separate Node process; resolves with its exit code and stderr. */
function openInProcess(file: string, at: number): Promise<{ code: number | null; stderr: string }> {
  // Every process loads the module first, then spins until the same instant: the opens overlap.
  const script = `import { SqliteStore } from ${JSON.stringify(STORE)}; while (Date.now() < ${at}); new SqliteStore(${JSON.stringify(file)}).close();`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('SqliteStore opened by several processes at once', () => {
  it('migrates a brand-new database exactly once, whoever comes first', async () => {
    for (let round = 0; round < 3; round++) {
      const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'tp-store-race-')), 'state.db');
      const at = Date.now() + 1500;
      const results = await Promise.all(Array.from({ length: 10 }, () => openInProcess(file, at)));
      expect(results.map((r) => r.stderr).filter(Boolean)).toEqual([]);
      expect(results.map((r) => r.code)).toEqual(Array(10).fill(0));
    }
  });
});
