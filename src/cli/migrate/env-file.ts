import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { differs, type MigrateItem, same } from './types.js';

/** Variables whose values are not secret and help the reader; every other value is masked. */
const SHOWN = new Set([
  'OLLAMA_HOST',
  'GITEA_URL',
  'GITEA_ORG',
  'GIT_USER_NAME',
  'GIT_USER_EMAIL',
  'NODE_ENV',
]);

/** What each of the original's variables does here. */
const USE: Record<string, string> = {
  OLLAMA_HOST: 'ollama.host',
  GITEA_URL: 'forge.url (gitea forge)',
  GITEA_TOKEN: 'forge API and push auth (gitea forge)',
  GITEA_ORG: 'forge.owner (gitea forge)',
  GITEA_WEBHOOK_SECRET: 'webhook signature check',
  GIT_USER_NAME: 'git.userName',
  GIT_USER_EMAIL: 'git.userEmail',
  GITEA_SECRET_KEY: 'not read here (Gitea installation only)',
  GITEA_ADMIN_USER: 'not read here (Gitea installation only)',
  GITEA_ADMIN_PASSWORD: 'not read here (Gitea installation only)',
  GITEA_ADMIN_EMAIL: 'not read here (Gitea installation only)',
  NODE_ENV: 'not read here',
};

export interface EnvReport {
  /** The .env values (unmasked: used for checks only, never printed). */
  values: Record<string, string>;
  /** Printable view: names with a value or `***set***`. */
  masked: Record<string, string>;
  items: MigrateItem[];
}

/** Masks a value unless its variable is known to hold nothing secret. */
export function maskEnv(values: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) out[k] = v === '' ? '(empty)' : SHOWN.has(k) ? v : '***set***';
  return out;
}

/** Reads `<dir>/.env` (never `.env.example`: its values are placeholders) and checks what the values mean here. */
export function inspectEnv(dir: string): EnvReport {
  const file = path.join(dir, '.env');
  if (!existsSync(file)) {
    const example = existsSync(path.join(dir, '.env.example')) ? ' (.env.example is a template only)' : '';
    return {
      values: {},
      masked: {},
      items: [
        differs(
          'env',
          `no .env in ${dir}${example}: no GITEA_URL/GITEA_TOKEN, so nothing points at Gitea`,
          'copy the .env the original ran with next to config.json (GITEA_URL, GITEA_TOKEN, GITEA_ORG, GITEA_WEBHOOK_SECRET)',
        ),
      ],
    };
  }
  const values = parseDotenv(readFileSync(file));
  const masked = maskEnv(values);
  const items: MigrateItem[] = [];
  for (const [k, shown] of Object.entries(masked)) {
    const value = values[k] ?? '';
    if (k === 'OLLAMA_HOST' && /host\.(containers|docker)\.internal|172\.17\.0\.1/.test(value)) {
      items.push(
        differs(
          'env',
          `OLLAMA_HOST=${value} names the host as seen from inside the original's container; ticket-processor runs on the host itself`,
          'set OLLAMA_HOST=http://127.0.0.1:11434 (or the machine that runs Ollama) in .env',
        ),
      );
    } else items.push(same('env', `${k}=${shown} → ${USE[k] ?? 'not read here'}`));
  }
  return { values, masked, items };
}
