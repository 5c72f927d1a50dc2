import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Compiles dist/ (what `bin/ticket-processor.js` runs), as test/global-setup.ts does: type errors
 * of files other helpers are editing do not stop the emit; a missing entry point does.
 */
export function buildDist(): void {
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'pipe' });
  } catch (err) {
    if (!existsSync('dist/src/cli/main.js')) throw err;
    process.stderr.write('bench: tsc reported type errors; dist/ was emitted anyway\n');
  }
}
