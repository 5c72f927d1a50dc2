import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { createForge } from '../../../src/forges/factory.js';
import { GiteaPerTaskForge } from '../../../src/forges/gitea/index.js';
import { SqliteStore } from '../../../src/store/index.js';
import { tmpDir } from '../../helpers/project.js';

const ENV = { GITEA_URL: 'https://git.example.org', GITEA_TOKEN: 'tok-abcdef12', GITEA_ORG: 'acme' };

function forgeFor(config: unknown) {
  const dir = tmpDir();
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  const loaded = loadConfig({ cwd: dir, env: ENV });
  const store = new SqliteStore(path.join(dir, 'state.db'));
  try {
    return createForge({
      config: loaded.config,
      secrets: loaded.secrets,
      store,
      remote: dir,
      author: { name: 'a', email: 'a@b' },
    });
  } finally {
    store.close();
  }
}

function failure(config: unknown): { code?: string; message: string; hint?: string } {
  try {
    forgeFor(config);
  } catch (err) {
    return err as { code?: string; message: string; hint?: string };
  }
  throw new Error('createForge did not throw');
}

describe('createForge for an original setup', () => {
  it('without forge.repo or repository.url: CONFIG_INVALID naming the keys and why', () => {
    const err = failure({});
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toBe('forge: forge.repo is not set.');
    expect(err.hint).toMatch(/no repository\.url on the forge's host names it/);
    expect(err.hint).toMatch(/Set forge\.repo to the repository name, or repository\.url to its clone URL/);
    expect(err.hint).toMatch(/repository\.perTaskRepo: true/);
  });

  it('with repository.url on another host: says that is why nothing was derived', () => {
    const err = failure({ repository: { url: 'https://github.com/acme/widgets.git' } });
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.hint).toContain(
      "repository.url (https://github.com/acme/widgets.git) is not a URL on the forge's host (https://git.example.org)",
    );
  });

  it('with repository.perTaskRepo: a per-task Gitea forge, no forge.repo needed', () => {
    expect(forgeFor({ repository: { perTaskRepo: true } })).toBeInstanceOf(GiteaPerTaskForge);
  });

  it('rejects repository.perTaskRepo on github, which would silently ignore it', () => {
    const err = failure({
      forge: { type: 'github', owner: 'o', repo: 'r' },
      repository: { perTaskRepo: true },
    });
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toMatch(/perTaskRepo does not work with forge.type "github"/);
  });
});
