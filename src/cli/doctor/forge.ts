import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { execa } from 'execa';
import type { LoadedConfig } from '../../config/index.js';
import { TpError } from '../../errors/index.js';
import { GiteaApiClient } from '../../forges/gitea/index.js';
import { remoteFromConfig } from '../../pipeline/target.js';
import { gitTopLevel } from '../../workspace/index.js';
import { checkHooks } from './forge-common.js';
import { checkGitHub, checkGitLab } from './forge-hosted.js';
import { type Check, fail, ok, reason, warn } from './types.js';

const TIMEOUT_MS = 10_000;

/** The forge: the local target repository, or token, repository and webhook on a hosted forge. */
export async function checkForge(loaded: LoadedConfig): Promise<Check[]> {
  const { config } = loaded;
  switch (config.forge.type) {
    case 'local':
      return [await checkLocal(loaded)];
    case 'gitea':
      return checkGitea(loaded);
    case 'github':
      return checkGitHub(loaded);
    case 'gitlab':
      return checkGitLab(loaded);
  }
}

async function checkLocal(loaded: LoadedConfig): Promise<Check> {
  const { config, baseDir, env } = loaded;
  if (config.repository.perTaskRepo)
    return ok('forge local', `a new repository per task under ${config.folders.repos}`);
  const url = config.repository.url;
  const target = url ? remoteFromConfig(url, baseDir) : await gitTopLevel(baseDir, env);
  if (!target)
    return fail(
      'forge local',
      `no repository.url and ${baseDir} is not inside a git repository`,
      'set repository.url to the repository pull requests target (a path to a bare repository, or a URL)',
    );
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target) || !target.startsWith('/')) {
    try {
      await execa('git', ['ls-remote', '--heads', target], { timeout: 15_000, stdin: 'ignore' });
      return ok('forge local', `${target} reachable`);
    } catch (err) {
      return fail(
        'forge local',
        `${target} not reachable: ${reason(err).split('\n')[0]}`,
        'check repository.url and its credentials',
      );
    }
  }
  try {
    if (!(await stat(target)).isDirectory()) throw new Error('not a directory');
  } catch {
    return fail('forge local', `${target} does not exist`, `create it: git init --bare ${target}`);
  }
  try {
    await access(target, constants.W_OK);
  } catch {
    return fail(
      'forge local',
      `${target} is not writable by this user`,
      `give this user write access to ${target}`,
    );
  }
  try {
    const bare = (
      await execa('git', ['rev-parse', '--is-bare-repository'], { cwd: target, timeout: 10_000 })
    ).stdout.trim();
    return ok('forge local', `${bare === 'true' ? 'bare repository' : 'repository'} ${target} writable`);
  } catch {
    return fail('forge local', `${target} is not a git repository`, `create it: git init --bare ${target}`);
  }
}

const status = (err: unknown) => (TpError.isInstance(err) ? err.details.status : undefined);

async function checkGitea(loaded: LoadedConfig): Promise<Check[]> {
  const { config, secrets } = loaded;
  const { url, owner, repo } = config.forge;
  if (!url) return [fail('forge gitea', 'forge.url is not set', 'set GITEA_URL or forge.url')];
  const token = secrets.giteaToken;
  if (!token)
    return [
      fail('forge gitea token', 'GITEA_TOKEN is not set', 'set GITEA_TOKEN in the environment or .env'),
    ];
  const api = new GiteaApiClient({ baseUrl: url, token, retry: { maxRetries: 0 }, timeoutMs: TIMEOUT_MS });
  const checks: Check[] = [];
  try {
    const me = await api.request<{ login: string }>('GET', '/user');
    checks.push(ok('forge gitea token', `valid (user ${me.data.login})`));
  } catch (err) {
    const s = status(err);
    if (s === 401)
      return [
        fail(
          'forge gitea token',
          `rejected by ${url} (401): the token is wrong, expired or revoked`,
          'create a token in Gitea (Settings → Applications) with scopes write:repository and write:issue, and set GITEA_TOKEN',
        ),
      ];
    // Gitea answers 403 "token does not have at least one of required scope(s)" for a valid token.
    if (s === 403)
      checks.push(
        warn(
          'forge gitea token',
          `valid but cannot read its user: ${reason(err)}`,
          'add the read:user scope',
        ),
      );
    else
      return [
        fail('forge gitea', `not reachable: ${reason(err)}`, 'check that forge.url (GITEA_URL) is reachable'),
      ];
  }
  if (config.repository.perTaskRepo) {
    checks.push(ok('forge repository', `a new repository per task under ${owner ?? '(forge.owner unset)'}`));
    return checks;
  }
  if (!owner || !repo) {
    checks.push(
      fail(
        'forge repository',
        'forge.owner or forge.repo is not set',
        'set them, or repository.url to the clone URL on the forge',
      ),
    );
    return checks;
  }
  const name = `${owner}/${repo}`;
  const repoPath = `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`;
  try {
    const r = await api.request<{ permissions?: { push?: boolean; admin?: boolean }; html_url?: string }>(
      'GET',
      repoPath,
    );
    const p = r.data.permissions;
    // Gitea does not tell a token its scopes; the repository's permissions for the token's user do.
    if (p && !p.push)
      checks.push(
        fail(
          `forge repository ${name}`,
          'reachable, but the token’s user cannot push to it',
          'give the user write access, or use another token',
        ),
      );
    else
      checks.push(
        ok(`forge repository ${name}`, `reachable${p ? ` (push${p.admin ? ', admin' : ''})` : ''}`),
      );
  } catch (err) {
    const s = status(err);
    const fix = config.forge.createRepo
      ? undefined
      : 'check forge.owner and forge.repo, or set forge.createRepo';
    checks.push(
      s === 404 && config.forge.createRepo
        ? ok(`forge repository ${name}`, 'absent; forge.createRepo will create it')
        : fail(`forge repository ${name}`, reason(err), fix),
    );
    return checks;
  }
  const settings = `${url.replace(/\/+$/, '')}/${owner}/${repo}/settings/hooks`;
  try {
    const hooks = await api.request<{ config?: { url?: string }; active?: boolean; events?: string[] }[]>(
      'GET',
      `${repoPath}/hooks`,
    );
    checks.push(
      checkHooks(
        config,
        hooks.data.map((h) => ({
          url: h.config?.url ?? '',
          active: h.active === true,
          events: h.events ?? [],
        })),
        settings,
      ),
    );
  } catch (err) {
    checks.push(
      warn(
        'forge webhook',
        `cannot list the repository's webhooks: ${reason(err)}`,
        `check them yourself in ${settings}`,
      ),
    );
  }
  return checks;
}
