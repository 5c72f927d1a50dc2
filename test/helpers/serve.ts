import { spawn } from 'node:child_process';
import { BIN } from './project.js';

/** Polls `check` until it returns something truthy. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 45_000,
  describeState?: () => unknown,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}${describeState ? `: ${JSON.stringify(describeState())}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface RunningCli {
  /** Base URL printed by `start` (`HTTP server on <url>`). */
  url: string;
  output(): { stdout: string; stderr: string };
  /** SIGTERM, then the exit code once the process has stopped. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts `ticket-processor start` (watch mode with the HTTP server) and waits for its URL. */
export async function startServe(cwd: string, env: Record<string, string>): Promise<RunningCli> {
  const child = spawn(process.execPath, [BIN, 'start'], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  const url = await waitFor(
    () => {
      if (gone) throw new Error(`start exited early:\n${stdout}\n${stderr}`);
      return /HTTP server on (http:\/\/\S+)/.exec(stdout)?.[1];
    },
    'the HTTP server line',
    20_000,
  ).catch((err) => {
    child.kill('SIGKILL');
    throw err;
  });
  return {
    url,
    output: () => ({ stdout, stderr }),
    async stop() {
      if (!gone) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const res = await exited;
      clearTimeout(killer);
      return { ...res, stdout, stderr };
    },
  };
}
