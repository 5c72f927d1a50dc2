import type { Config, Secrets } from '../config/index.js';
import { TpError } from '../errors/index.js';
import type { Store } from '../store/index.js';
import { GiteaForge, GiteaPerTaskForge } from './gitea/index.js';
import { GitHubForge } from './github/index.js';
import { GitLabForge } from './gitlab/index.js';
import { LocalForge } from './local/index.js';
import type { Forge } from './types.js';

export interface ForgeFactoryInput {
  config: Config;
  secrets: Secrets;
  store: Store;
  /** Default target repository for the local forge. */
  remote: string;
  author: { name: string; email: string };
}

function need(value: string | undefined, what: string, fix: string): string {
  if (!value) throw new TpError(`forge: ${what} is not set.`, { code: 'CONFIG_INVALID', hint: fix });
  return value;
}

/**
 * Why `forge.owner` / `forge.repo` is needed and how to give it: they are read from
 * `repository.url` only when that URL is on the forge's host (see `loadConfig`).
 */
function repoHint(config: Config, key: 'forge.owner' | 'forge.repo', what: string): string {
  const url = config.repository.url;
  const fromUrl = url
    ? `repository.url (${url}) is not a URL on the forge's host${config.forge.url ? ` (${config.forge.url})` : ''}, so ${key} cannot be read from it`
    : `no repository.url on the forge's host names it`;
  const perTask =
    config.forge.type === 'gitea'
      ? ', or set repository.perTaskRepo: true for a new repository per task'
      : '';
  return `Pull requests need a repository on the forge and ${fromUrl}. Set ${key} to ${what}, or repository.url to its clone URL (https://host/owner/repo.git or git@host:owner/repo.git)${perTask}.`;
}

/** Builds the configured forge adapter. */
export function createForge(input: ForgeFactoryInput): Forge {
  const { config, secrets } = input;
  if (config.repository.perTaskRepo && config.forge.type !== 'local' && config.forge.type !== 'gitea') {
    throw new TpError(`repository.perTaskRepo does not work with forge.type "${config.forge.type}".`, {
      code: 'CONFIG_INVALID',
      hint: 'A repository per task is made on the local or the gitea forge only: remove repository.perTaskRepo, or use one of those.',
    });
  }
  switch (config.forge.type) {
    case 'local':
      return new LocalForge({ store: input.store, remote: input.remote, author: input.author });
    case 'gitea': {
      const base = {
        baseUrl: need(config.forge.url, 'forge.url', 'Set GITEA_URL or forge.url.'),
        token: need(secrets.giteaToken, 'GITEA_TOKEN', 'Set GITEA_TOKEN in the environment or .env.'),
        owner: need(
          config.forge.owner,
          'forge.owner',
          config.repository.perTaskRepo
            ? 'Set GITEA_ORG or forge.owner to the organisation (or the token’s user) that gets the task repositories.'
            : repoHint(config, 'forge.owner', 'the organisation or user (GITEA_ORG)'),
        ),
      };
      if (config.repository.perTaskRepo) {
        return new GiteaPerTaskForge({
          ...base,
          namePattern: config.taskIdFormat.pattern,
          recordedRepos: (prNumber) => recordedRepos(input.store, prNumber),
          sequential: config.processing.concurrency === 1,
        });
      }
      return new GiteaForge({
        ...base,
        repo: need(config.forge.repo, 'forge.repo', repoHint(config, 'forge.repo', 'the repository name')),
        createRepo: config.forge.createRepo,
      });
    }
    case 'github':
      return new GitHubForge({
        ...(config.forge.url ? { baseUrl: config.forge.url } : {}),
        token: need(secrets.githubToken, 'GITHUB_TOKEN', 'Set GITHUB_TOKEN (a token with the repo scope).'),
        owner: need(
          config.forge.owner,
          'forge.owner',
          repoHint(config, 'forge.owner', 'the user or organisation'),
        ),
        repo: need(config.forge.repo, 'forge.repo', repoHint(config, 'forge.repo', 'the repository name')),
        createRepo: config.forge.createRepo,
      });
    case 'gitlab': {
      const owner = need(
        config.forge.owner,
        'forge.owner',
        repoHint(config, 'forge.owner', 'the group (or user) path'),
      );
      const repo = need(config.forge.repo, 'forge.repo', repoHint(config, 'forge.repo', 'the project name'));
      return new GitLabForge({
        ...(config.forge.url ? { baseUrl: config.forge.url } : {}),
        token: need(
          secrets.gitlabToken,
          'GITLAB_TOKEN',
          'Set GITLAB_TOKEN (scopes api and write_repository).',
        ),
        projectPath: `${owner}/${repo}`,
        createRepo: config.forge.createRepo,
      });
    }
  }
}

/** Repositories (names) of task runs still in review that recorded pull request `prNumber`. */
function recordedRepos(store: Store, prNumber: number): string[] {
  return store
    .listRuns()
    .filter((r) => r.prNumber === prNumber && (r.state === 'review' || r.state === 'published') && r.prUrl)
    .map((r) => /\/([^/]+)\/pulls\/\d+\/?(?:[?#].*)?$/.exec(r.prUrl ?? '')?.[1])
    .filter((n): n is string => n !== undefined);
}
