import { type LoadedConfig, loadConfig, secretValues } from '../../config/index.js';
import { classify } from '../../errors/index.js';
import { checkForge } from './forge.js';
import { checkOllama } from './ollama.js';
import { checkPort } from './port.js';
import { checkDisk, checkGit, checkNode, checkSandbox } from './system.js';
import { type Check, fail, ok, warn } from './types.js';

export { type Check, type CheckStatus, fail, ok, warn } from './types.js';

export interface DoctorInput {
  cwd: string;
  env: Record<string, string | undefined>;
  configPath?: string;
}

export interface DoctorReport {
  ok: boolean;
  checks: Check[];
  /** Values to redact from anything printed (tokens, secrets). */
  secrets: string[];
}

/** Secret-looking environment values: redacted even when the config could not be loaded. */
function envSecrets(env: Record<string, string | undefined>): string[] {
  return Object.entries(env)
    .filter(([k, v]) => /TOKEN|SECRET|PASSWORD/i.test(k) && typeof v === 'string' && v.length >= 4)
    .map(([, v]) => v as string);
}

/**
 * Runs every check. Reads the config and asks the outside world; starts no worker, opens no
 * store and creates no folder, so it is safe next to a running service.
 */
export async function runDoctor(input: DoctorInput): Promise<DoctorReport> {
  const checks: Check[] = [checkNode(), await checkGit(input.env)];
  let loaded: LoadedConfig | undefined;
  try {
    loaded = loadConfig({
      cwd: input.cwd,
      env: input.env,
      ...(input.configPath ? { configPath: input.configPath } : {}),
    });
    checks.push(ok(`config ${loaded.configPath ?? '(no config.json: defaults)'}`, 'valid'));
    for (const w of loaded.warnings) checks.push(warn('config', w));
    for (const n of loaded.notices) checks.push(ok('config', n));
  } catch (err) {
    const e = classify(err);
    checks.push(fail('config', e.message, e.hint ?? 'see docs/configuration.md'));
  }
  if (loaded) {
    const { config } = loaded;
    checks.push(checkSandbox(loaded));
    const [models, forge, port] = await Promise.all([
      checkOllama(config),
      checkForge(loaded),
      checkPort(config),
    ]);
    checks.push(...models, ...forge, port);
  }
  checks.push(await checkDisk(loaded?.baseDir ?? input.cwd));
  return {
    ok: checks.every((c) => c.status !== 'fail'),
    checks,
    secrets: [...new Set([...(loaded ? secretValues(loaded.secrets) : []), ...envSecrets(input.env)])].sort(
      (a, b) => b.length - a.length,
    ),
  };
}
