import { execFileSync } from 'node:child_process';

/** Integration tests spawn the real CLI from dist/, so compile it once before any test runs. */
export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
