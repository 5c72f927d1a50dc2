import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';
import { TpError } from '../errors/index.js';
import { type Config, configSchema } from './schema.js';

/** Secrets come from the environment only, never from config.json, and are redacted everywhere. */
export interface Secrets {
  giteaToken?: string;
  githubToken?: string;
  gitlabToken?: string;
  webhookSecret?: string;
  githubWebhookSecret?: string;
  gitlabWebhookSecret?: string;
  /** Bearer token of POST /api/tasks (env TP_API_TOKEN, else webhook.apiToken). */
  apiToken?: string;
  /** The password in `queue.redis.url` (env REDIS_URL), if it has one. */
  redisPassword?: string;
}

export interface LoadedConfig {
  config: Config;
  secrets: Secrets;
  /** Folder that relative paths in the config resolve against (the config file's folder). */
  baseDir: string;
  configPath: string | undefined;
  /** Non-fatal findings, e.g. unknown keys. */
  warnings: string[];
  /**
   * Decisions taken for the user that change behaviour and deserve one line at start, e.g. a
   * forge inferred from the original tool's GITEA_* variables. The CLI prints them like warnings.
   */
  notices: string[];
  /** The merged environment (process env over .env). */
  env: Record<string, string | undefined>;
}

export interface LoadOptions {
  /** Path to config.json; default `<cwd>/config.json` when it exists. */
  configPath?: string;
  cwd: string;
  env: Record<string, string | undefined>;
}

function readJson(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const pos = /position (\d+)/.exec(msg);
    const line = pos ? text.slice(0, Number(pos[1])).split('\n').length : undefined;
    throw new TpError(`${file}${line ? `:${line}` : ''} is not valid JSON: ${msg}`, {
      code: 'CONFIG_INVALID',
      hint: 'Fix the JSON syntax (a trailing comma or a missing quote is the usual cause).',
    });
  }
}

/** Lists keys present in `input` that the schema does not know, as dotted paths. */
export function unknownKeys(
  input: unknown,
  schema: Record<string, unknown> = jsonSchema(),
  prefix = '',
): string[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return [];
  const props = schema.properties as Record<string, Record<string, unknown>> | undefined;
  if (!props) return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(input)) {
    const sub = props[key];
    if (!sub) out.push(`${prefix}${key}`);
    else if (sub.type === 'object') out.push(...unknownKeys(value, sub, `${prefix}${key}.`));
  }
  return out;
}

let cachedJsonSchema: Record<string, unknown> | undefined;
function jsonSchema(): Record<string, unknown> {
  cachedJsonSchema ??= z.toJSONSchema(configSchema, { io: 'input' }) as Record<string, unknown>;
  return cachedJsonSchema;
}

function setIn(obj: Record<string, unknown>, keys: string[], value: unknown): void {
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    const next = cur[k];
    if (typeof next !== 'object' || next === null) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]!] = value;
}

/** Env vars of the original tool, mapped onto config keys. */
const ENV_MAP: Array<[string, string[]]> = [
  ['OLLAMA_HOST', ['ollama', 'host']],
  ['GIT_USER_NAME', ['git', 'userName']],
  ['GIT_USER_EMAIL', ['git', 'userEmail']],
  ['TP_FORGE', ['forge', 'type']],
  ['TP_REPOSITORY', ['repository', 'url']],
  ['REDIS_URL', ['queue', 'redis', 'url']],
];

/**
 * Loads config.json (optional), `.env` beside it, and the environment, and validates the
 * result with the one schema. Takes `env` as a parameter: no reads of process.env here.
 */
export function loadConfig(options: LoadOptions): LoadedConfig {
  const explicit = options.configPath ? path.resolve(options.cwd, options.configPath) : undefined;
  if (explicit && !existsSync(explicit)) {
    throw new TpError(`Config file ${explicit} does not exist.`, {
      code: 'CONFIG_INVALID',
      hint: 'Create one with `ticket-processor init`, or drop --config to use defaults.',
    });
  }
  const implicit = path.join(options.cwd, 'config.json');
  const configPath = explicit ?? (existsSync(implicit) ? implicit : undefined);
  const baseDir = configPath ? path.dirname(configPath) : options.cwd;
  const dotenvPath = path.join(baseDir, '.env');
  const fromDotenv = existsSync(dotenvPath) ? parseDotenv(readFileSync(dotenvPath)) : {};
  const env: Record<string, string | undefined> = { ...fromDotenv, ...options.env };

  const raw = configPath ? readJson(configPath) : {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TpError(`${configPath} must contain a JSON object.`, { code: 'CONFIG_INVALID' });
  }
  const input = structuredClone(raw) as Record<string, unknown>;
  const warnings = unknownKeys(input).map(
    (k) => `config: unknown key "${k}" ignored (check the spelling against docs/configuration.md).`,
  );
  for (const [name, keys] of ENV_MAP) {
    const v = env[name];
    if (v) setIn(input, keys, v);
  }
  const notices: string[] = [];
  // The original tool's Gitea variables fill the forge section only when it is a Gitea forge:
  // a leftover .env must not point a GitHub or GitLab setup at a Gitea server.
  const forge = (input.forge ?? {}) as { type?: string; url?: string; owner?: string };
  // The original tool always published to Gitea and had no forge.type: its .env alone says where.
  if (forge.type === undefined && env.GITEA_URL && env.GITEA_TOKEN) {
    setIn(input, ['forge', 'type'], 'gitea');
    forge.type = 'gitea';
    notices.push(
      `forge: using gitea at ${forge.url ?? env.GITEA_URL} (forge.type not set; GITEA_URL and GITEA_TOKEN are)`,
    );
  }
  const repoUrl = (input.repository as { url?: unknown } | undefined)?.url;
  const fromUrl =
    typeof repoUrl === 'string' && forge.type !== undefined && forge.type !== 'local'
      ? ownerRepoOnForge(
          repoUrl,
          forge.type,
          forge.url ?? (forge.type === 'gitea' ? env.GITEA_URL : undefined),
        )
      : undefined;
  const forgeRepo = (input.forge as { repo?: unknown } | undefined)?.repo;
  if (fromUrl && (forgeRepo === undefined || forge.owner === undefined)) {
    // The URL names both halves; GITEA_ORG is only the fallback for an owner nothing names.
    if (forge.owner === undefined) setIn(input, ['forge', 'owner'], fromUrl.owner);
    if (forgeRepo === undefined) setIn(input, ['forge', 'repo'], fromUrl.repo);
    notices.push(`forge: repository ${fromUrl.owner}/${fromUrl.repo} (from repository.url)`);
  }
  if (forge.type === 'gitea') {
    if (env.GITEA_URL && !forge.url) setIn(input, ['forge', 'url'], env.GITEA_URL);
    if (env.GITEA_ORG && !(input.forge as { owner?: string }).owner)
      setIn(input, ['forge', 'owner'], env.GITEA_ORG);
  }

  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`);
    lines.push(...warnings.map((w) => `  - ${w}`));
    throw new TpError(`Invalid configuration${configPath ? ` in ${configPath}` : ''}:\n${lines.join('\n')}`, {
      code: 'CONFIG_INVALID',
      hint: 'Fix the keys listed above; `ticket-processor init` writes a file with every default.',
    });
  }
  const secrets: Secrets = {};
  if (env.GITEA_TOKEN) secrets.giteaToken = env.GITEA_TOKEN;
  if (env.GITHUB_TOKEN) secrets.githubToken = env.GITHUB_TOKEN;
  if (env.GITLAB_TOKEN) secrets.gitlabToken = env.GITLAB_TOKEN;
  const hookSecret = env.GITEA_WEBHOOK_SECRET ?? env.TP_WEBHOOK_SECRET;
  if (hookSecret) secrets.webhookSecret = hookSecret;
  if (env.GITHUB_WEBHOOK_SECRET) secrets.githubWebhookSecret = env.GITHUB_WEBHOOK_SECRET;
  if (env.GITLAB_WEBHOOK_SECRET) secrets.gitlabWebhookSecret = env.GITLAB_WEBHOOK_SECRET;
  const apiToken = env.TP_API_TOKEN ?? parsed.data.webhook.apiToken;
  if (apiToken) secrets.apiToken = apiToken;
  const redisPassword = passwordOf(parsed.data.queue.redis.url);
  if (redisPassword) secrets.redisPassword = redisPassword;
  return { config: parsed.data, secrets, baseDir, configPath, warnings, notices, env };
}

/** The password part of a redis:// URL, if any (redacted like a token). */
function passwordOf(url: string): string | undefined {
  try {
    const p = decodeURIComponent(new URL(url).password);
    return p.length > 0 ? p : undefined;
  } catch {
    return undefined;
  }
}

const URL_RE = /^[a-z][a-z0-9+.-]*:\/\//i;
// git's scp-like ssh form: `[user@]host:path`, no slash before the colon.
const SCP_RE = /^(?:[^@/]+@)?([^:/]+):(.+)$/;
/** Hosts of the public forges, used when forge.url is left at its default. */
const DEFAULT_HOSTS: Record<string, string> = { github: 'github.com', gitlab: 'gitlab.com' };

/** The host (lower-cased, no port) and path of a repository URL; undefined for a local path. */
function hostAndPath(value: string): { host: string; path: string } | undefined {
  const v = value.trim();
  if (URL_RE.test(v)) {
    try {
      const u = new URL(v);
      if (u.protocol === 'file:') return undefined;
      return { host: u.hostname.toLowerCase(), path: decodeURIComponent(u.pathname) };
    } catch {
      return undefined;
    }
  }
  const scp = SCP_RE.exec(v);
  return scp && !path.isAbsolute(v) ? { host: scp[1]!.toLowerCase(), path: scp[2]! } : undefined;
}

/**
 * `owner/repo` read from a repository URL (https, ssh:// or `git@host:owner/repo.git`) when it
 * is on the forge's host. GitLab's owner may be a group path (`group/sub`). GitHub's API host
 * (`api.github.com`) counts as github.com.
 */
export function ownerRepoOnForge(
  repositoryUrl: string,
  forgeType: string,
  forgeUrl: string | undefined,
): { owner: string; repo: string } | undefined {
  const repo = hostAndPath(repositoryUrl);
  const forgeHost = forgeUrl ? hostAndPath(forgeUrl)?.host : DEFAULT_HOSTS[forgeType];
  if (!repo || !forgeHost) return undefined;
  const strip = (h: string) => (forgeType === 'github' ? h.replace(/^api\./, '') : h);
  if (strip(repo.host) !== strip(forgeHost)) return undefined;
  // A forge served under a sub-path (https://example.com/gitea) prefixes every repository path.
  const prefix = forgeUrl ? (hostAndPath(forgeUrl)?.path ?? '').replace(/\/api\/v\d+\/?$/, '') : '';
  let p = repo.path.replace(/^\/+/, '');
  const pre = prefix.replace(/^\/+|\/+$/g, '');
  if (pre && URL_RE.test(repositoryUrl) && p.startsWith(`${pre}/`)) p = p.slice(pre.length + 1);
  const parts = p
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .split('/')
    .filter(Boolean);
  if (parts.length < 2 || (forgeType !== 'gitlab' && parts.length !== 2)) return undefined;
  return { owner: parts.slice(0, -1).join('/'), repo: parts[parts.length - 1]! };
}

/** Every secret value worth redacting, longest first so overlapping values redact fully. */
/** The task folders and `folders.repos`, as absolute paths (relative ones are under `baseDir`). */
export function resolveFolders(
  config: Config,
  baseDir: string,
): Record<'todo' | 'doing' | 'review' | 'failed' | 'completed' | 'repos', string> {
  const f = config.folders;
  const abs = (p: string) => path.resolve(baseDir, p);
  return {
    todo: abs(f.todo),
    doing: abs(f.doing),
    review: abs(f.review),
    failed: abs(f.failed),
    completed: abs(f.completed),
    repos: abs(f.repos),
  };
}

export function secretValues(secrets: Secrets): string[] {
  return Object.values(secrets)
    .filter((v): v is string => typeof v === 'string' && v.length >= 4)
    .sort((a, b) => b.length - a.length);
}
