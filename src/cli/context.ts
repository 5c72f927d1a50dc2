import { type App, createApp } from '../app.js';
import { type LoadedConfig, loadConfig } from '../config/index.js';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
  isTty: boolean;
}

export interface GlobalOptions {
  config?: string;
}

export function load(io: CliIo, opts: GlobalOptions): LoadedConfig {
  const loaded = loadConfig({
    cwd: io.cwd,
    env: io.env,
    ...(opts.config ? { configPath: opts.config } : {}),
  });
  for (const w of loaded.warnings) io.err(`warning: ${w}`);
  for (const n of loaded.notices) io.err(`notice: ${n}`);
  return loaded;
}

/** Opens the app for a short command and always closes it. */
export async function withApp<T>(io: CliIo, opts: GlobalOptions, fn: (app: App) => Promise<T>): Promise<T> {
  const app = await createApp(load(io, opts), {
    agent: { name: 'none', run: () => Promise.reject(new Error('no agent in this command')) },
  });
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}
