import { PersonalAccessTokens, ProjectHooks, Projects, Users } from '@gitbeaker/rest';
import { Octokit } from '@octokit/rest';
import type { LoadedConfig } from '../../config/index.js';
import { GITHUB_SCOPE_HINT, githubApiUrl } from '../../forges/github/index.js';
import { GITLAB_SCOPE_HINT, gitlabHost } from '../../forges/gitlab/index.js';
import { redact } from '../../secrets/index.js';
import { checkHooks } from './forge-common.js';
import { type Check, fail, ok, warn } from './types.js';

const TIMEOUT_MS = 10_000;
const noop = () => undefined;

const statusOf = (err: unknown): number | undefined => {
  const e = err as { status?: unknown; cause?: { response?: { status?: unknown } } };
  const s = typeof e.status === 'number' ? e.status : e.cause?.response?.status;
  return typeof s === 'number' ? s : undefined;
};

/** GitHub: token (and its classic scopes from `x-oauth-scopes`), repository, webhooks; through Octokit. */
export async function checkGitHub(loaded: LoadedConfig): Promise<Check[]> {
  const { config, secrets } = loaded;
  const token = secrets.githubToken;
  if (!token)
    return [
      fail('forge github token', 'GITHUB_TOKEN is not set', 'set GITHUB_TOKEN in the environment or .env'),
    ];
  const why = (err: unknown) => redact(err instanceof Error ? err.message : String(err), token);
  const octokit = new Octokit({
    auth: token,
    baseUrl: githubApiUrl(config.forge.url),
    userAgent: 'ticket-processor doctor',
    request: { signal: AbortSignal.timeout(TIMEOUT_MS * 3) },
    log: { debug: noop, info: noop, warn: noop, error: noop },
  });
  const checks: Check[] = [];
  try {
    const me = await octokit.request('GET /user');
    const header = me.headers['x-oauth-scopes'];
    if (header === undefined)
      checks.push(
        ok(
          'forge github token',
          `valid (user ${me.data.login}; fine-grained or app token: scopes not listed)`,
        ),
      );
    else {
      const scopes = String(header)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      checks.push(
        scopes.includes('repo') || scopes.includes('public_repo')
          ? ok('forge github token', `valid (user ${me.data.login}; scopes ${scopes.join(', ')})`)
          : fail(
              'forge github token',
              `valid, but its scopes (${scopes.join(', ') || 'none'}) lack repo`,
              GITHUB_SCOPE_HINT,
            ),
      );
    }
  } catch (err) {
    return [tokenFailure('github', err, 'GITHUB_TOKEN', GITHUB_SCOPE_HINT, why)];
  }
  const { owner, repo } = config.forge;
  if (!owner || !repo) return [...checks, missingRepo('GitHub')];
  const name = `${owner}/${repo}`;
  try {
    const r = await octokit.rest.repos.get({ owner, repo });
    const p = r.data.permissions;
    checks.push(
      p && !p.push
        ? fail(`forge repository ${name}`, 'reachable, but the token cannot push to it', GITHUB_SCOPE_HINT)
        : ok(`forge repository ${name}`, `reachable${p ? ` (push${p.admin ? ', admin' : ''})` : ''}`),
    );
  } catch (err) {
    return [
      ...checks,
      fail(
        `forge repository ${name}`,
        why(err),
        'check forge.owner and forge.repo; GitHub answers 404 when the token cannot see a private repository',
      ),
    ];
  }
  const settings = `https://github.com/${name}/settings/hooks`;
  try {
    const hooks = await octokit.rest.repos.listWebhooks({ owner, repo, per_page: 100 });
    checks.push(
      checkHooks(
        config,
        hooks.data.map((h) => ({ url: h.config.url ?? '', active: h.active, events: h.events })),
        settings,
      ),
    );
  } catch (err) {
    checks.push(
      warn(
        'forge webhook',
        `cannot list webhooks (admin:repo_hook needed): ${why(err)}`,
        `check them yourself in ${settings}`,
      ),
    );
  }
  return checks;
}

/** GitLab: token (and its scopes from /personal_access_tokens/self), project, hooks; through gitbeaker. */
export async function checkGitLab(loaded: LoadedConfig): Promise<Check[]> {
  const { config, secrets } = loaded;
  const token = secrets.gitlabToken;
  if (!token)
    return [
      fail('forge gitlab token', 'GITLAB_TOKEN is not set', 'set GITLAB_TOKEN in the environment or .env'),
    ];
  const why = (err: unknown) => redact(err instanceof Error ? err.message : String(err), token);
  const resource = { host: gitlabHost(config.forge.url), token, queryTimeout: TIMEOUT_MS };
  const checks: Check[] = [];
  try {
    const me = await new Users(resource).showCurrentUser();
    const self = await new PersonalAccessTokens(resource).show().catch(() => undefined);
    const scopes = (self as { scopes?: string[] } | undefined)?.scopes;
    if (scopes && !scopes.includes('api'))
      checks.push(
        fail(
          'forge gitlab token',
          `valid (user ${me.username}), but its scopes (${scopes.join(', ')}) lack api`,
          GITLAB_SCOPE_HINT,
        ),
      );
    else
      checks.push(
        ok(
          'forge gitlab token',
          `valid (user ${me.username}${scopes ? `; scopes ${scopes.join(', ')}` : ''})`,
        ),
      );
  } catch (err) {
    return [tokenFailure('gitlab', err, 'GITLAB_TOKEN', GITLAB_SCOPE_HINT, why)];
  }
  const { owner, repo } = config.forge;
  if (!owner || !repo) return [...checks, missingRepo('GitLab')];
  const name = `${owner}/${repo}`;
  try {
    const p = (await new Projects(resource).show(name)) as {
      permissions?: {
        project_access?: { access_level?: number } | null;
        group_access?: { access_level?: number } | null;
      };
    };
    const level = Math.max(
      p.permissions?.project_access?.access_level ?? 0,
      p.permissions?.group_access?.access_level ?? 0,
    );
    // 30 = Developer, the least that pushes branches and opens merge requests.
    checks.push(
      p.permissions && level < 30
        ? fail(
            `forge repository ${name}`,
            `reachable, but the token's user has access level ${level} (< Developer)`,
            'make the user a Developer (or more) on the project',
          )
        : ok(`forge repository ${name}`, 'reachable'),
    );
  } catch (err) {
    return [
      ...checks,
      fail(`forge repository ${name}`, why(err), 'check forge.owner (group path) and forge.repo'),
    ];
  }
  const settings = `${resource.host}/${name}/-/hooks`;
  try {
    const hooks = (await new ProjectHooks(resource).all(name)) as {
      url: string;
      merge_requests_events?: boolean;
    }[];
    checks.push(
      checkHooks(
        config,
        hooks.map((h) => ({
          url: h.url,
          active: true,
          events: h.merge_requests_events ? ['merge_requests'] : [],
        })),
        settings,
      ),
    );
  } catch (err) {
    checks.push(
      warn(
        'forge webhook',
        `cannot list project hooks (Maintainer needed): ${why(err)}`,
        `check them yourself in ${settings}`,
      ),
    );
  }
  return checks;
}

/** The token check's failure: rejected (401), or the forge could not be asked at all. */
function tokenFailure(
  forge: 'github' | 'gitlab',
  err: unknown,
  tokenEnv: string,
  scopeHint: string,
  why: (err: unknown) => string,
) {
  return statusOf(err) === 401
    ? fail(
        `forge ${forge} token`,
        'rejected (401): wrong, expired or revoked',
        `create a new token and set ${tokenEnv}. ${scopeHint}`,
      )
    : fail(`forge ${forge}`, `not reachable: ${why(err)}`, 'check forge.url and the network');
}

/** No repository to check: forge.owner/forge.repo are unset and repository.url did not name one. */
function missingRepo(forgeName: string) {
  return fail(
    'forge repository',
    'forge.owner or forge.repo is not set',
    `set them, or repository.url to the clone URL on ${forgeName}`,
  );
}
