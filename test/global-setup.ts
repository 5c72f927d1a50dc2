import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Integration tests spawn the real CLI from dist/, so compile it once before any test runs. */
export default function setup(): void {
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'pipe' });
  } catch (err) {
    // Type errors are reported by `tsc --noEmit` in CI; tsc still emitted JavaScript, so the
    // suite can run and show behaviour. A missing entry point is fatal.
    if (!existsSync('dist/src/cli/main.js')) throw err;
    process.stderr.write(
      `global-setup: tsc reported errors:\n${String((err as { stdout?: unknown }).stdout ?? '')}\n`,
    );
  }
}
