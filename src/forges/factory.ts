import type { Config, Secrets } from '../config/index.js';
import { TpError } from '../errors/index.js';
import type { Store } from '../store/index.js';
import { GiteaForge } from './gitea/index.js';
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

/** Builds the configured forge adapter. */
export function createForge(input: ForgeFactoryInput): Forge {
  const { config, secrets } = input;
  switch (config.forge.type) {
    case 'local':
      return new LocalForge({ store: input.store, remote: input.remote, author: input.author });
    case 'gitea':
      return new GiteaForge({
        baseUrl: need(config.forge.url, 'forge.url', 'Set GITEA_URL or forge.url.'),
        token: need(secrets.giteaToken, 'GITEA_TOKEN', 'Set GITEA_TOKEN in the environment or .env.'),
        owner: need(config.forge.owner, 'forge.owner', 'Set GITEA_ORG or forge.owner.'),
        repo: need(config.forge.repo, 'forge.repo', 'Set forge.repo to the repository name.'),
        createRepo: config.forge.createRepo,
      });
    case 'github':
      return new GitHubForge({
        ...(config.forge.url ? { baseUrl: config.forge.url } : {}),
        token: need(secrets.githubToken, 'GITHUB_TOKEN', 'Set GITHUB_TOKEN (a token with the repo scope).'),
        owner: need(config.forge.owner, 'forge.owner', 'Set forge.owner to the user or organisation.'),
        repo: need(config.forge.repo, 'forge.repo', 'Set forge.repo to the repository name.'),
        createRepo: config.forge.createRepo,
      });
    case 'gitlab': {
      const owner = need(config.forge.owner, 'forge.owner', 'Set forge.owner to the group (or user) path.');
      const repo = need(config.forge.repo, 'forge.repo', 'Set forge.repo to the project name.');
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
