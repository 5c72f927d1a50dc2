import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { tmpDir } from '../../helpers/project.js';

/*
 * An original install, loaded as its user would: its config.json (no forge section) and a
 * .env with the Gitea variables. The forge is inferred from them, and owner/repo from a
 * repository URL on the forge's host.
 */

const ORIGINAL_CONFIG = path.resolve('test/fixtures/original-install/config.json');
const GITEA_ENV =
  'GITEA_URL=https://git.example.org\nGITEA_TOKEN=tok-0123456789\nGITEA_ORG=ticket-processor\nGITEA_WEBHOOK_SECRET=hook-secret-x\n';

function project(config: unknown | 'original', dotenv?: string): string {
  const dir = tmpDir();
  if (config === 'original') copyFileSync(ORIGINAL_CONFIG, path.join(dir, 'config.json'));
  else writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  if (dotenv) writeFileSync(path.join(dir, '.env'), dotenv);
  return dir;
}

describe('an original setup: forge inferred from GITEA_URL + GITEA_TOKEN', () => {
  it('uses gitea with url/owner from .env and says so in one notice', () => {
    const loaded = loadConfig({ cwd: project('original', GITEA_ENV), env: {} });
    expect(loaded.config.forge).toMatchObject({
      type: 'gitea',
      url: 'https://git.example.org',
      owner: 'ticket-processor',
    });
    expect(loaded.secrets).toMatchObject({ giteaToken: 'tok-0123456789', webhookSecret: 'hook-secret-x' });
    expect(loaded.notices).toEqual([
      'forge: using gitea at https://git.example.org (forge.type not set; GITEA_URL and GITEA_TOKEN are)',
    ]);
  });

  it('reads the variables from the real environment as well as from .env', () => {
    const env = { GITEA_URL: 'http://127.0.0.1:3000', GITEA_TOKEN: 'tok-abcdef' };
    const loaded = loadConfig({ cwd: project({}), env });
    expect(loaded.config.forge.type).toBe('gitea');
    expect(loaded.config.forge.url).toBe('http://127.0.0.1:3000');
  });

  it('stays local without GITEA_TOKEN, or without GITEA_URL, and prints no notice', () => {
    for (const env of [{ GITEA_URL: 'https://git.example.org' }, { GITEA_TOKEN: 'tok-abcdef' }]) {
      const loaded = loadConfig({ cwd: project({}), env });
      expect(loaded.config.forge.type).toBe('local');
      expect(loaded.notices).toEqual([]);
    }
  });

  it('lets an explicit forge.type win, in config.json or TP_FORGE', () => {
    const env = { GITEA_URL: 'https://git.example.org', GITEA_TOKEN: 'tok-abcdef' };
    const local = loadConfig({ cwd: project({ forge: { type: 'local' } }), env });
    expect(local.config.forge.type).toBe('local');
    expect(local.config.forge.url).toBeUndefined();
    expect(local.notices).toEqual([]);
    const viaEnv = loadConfig({ cwd: project({}), env: { ...env, TP_FORGE: 'local' } });
    expect(viaEnv.config.forge.type).toBe('local');
    expect(viaEnv.notices).toEqual([]);
  });
});

describe('forge owner/repo derived from repository.url', () => {
  const env = { GITEA_URL: 'https://git.example.org', GITEA_TOKEN: 'tok-abcdef', GITEA_ORG: 'fallback-org' };

  it.each([
    ['https://git.example.org/acme/widgets.git', 'acme', 'widgets'],
    ['https://git.example.org/acme/widgets', 'acme', 'widgets'],
    ['https://GIT.example.org:443/acme/widgets/', 'acme', 'widgets'],
    ['git@git.example.org:acme/widgets.git', 'acme', 'widgets'],
    ['ssh://git@git.example.org:2222/acme/widgets.git', 'acme', 'widgets'],
  ])('%s → %s/%s', (url, owner, repo) => {
    const loaded = loadConfig({ cwd: project({ forge: { type: 'gitea' }, repository: { url } }), env });
    expect(loaded.config.forge).toMatchObject({ owner, repo });
    expect(loaded.notices).toEqual([`forge: repository ${owner}/${repo} (from repository.url)`]);
  });

  it('keeps what config.json sets, and takes only the missing half', () => {
    const url = 'https://git.example.org/acme/widgets.git';
    const both = loadConfig({
      cwd: project({ forge: { type: 'gitea', owner: 'o', repo: 'r' }, repository: { url } }),
      env,
    });
    expect(both.config.forge).toMatchObject({ owner: 'o', repo: 'r' });
    const repoOnly = loadConfig({
      cwd: project({ forge: { type: 'gitea', owner: 'acme' }, repository: { url } }),
      env,
    });
    expect(repoOnly.config.forge).toMatchObject({ owner: 'acme', repo: 'widgets' });
  });

  it('takes the owner from the URL over GITEA_ORG when the repository is derived', () => {
    const loaded = loadConfig({
      cwd: project({ repository: { url: 'https://git.example.org/acme/widgets.git' } }),
      env,
    });
    expect(loaded.config.forge).toMatchObject({ type: 'gitea', owner: 'acme', repo: 'widgets' });
  });

  it('derives nothing from a URL on another host, or from a local path', () => {
    for (const url of ['https://github.com/acme/widgets.git', '../widgets', '/srv/git/widgets.git']) {
      const loaded = loadConfig({ cwd: project({ forge: { type: 'gitea' }, repository: { url } }), env });
      expect(loaded.config.forge.repo).toBeUndefined();
    }
  });

  it('works for github (github.com for the default API) and gitlab subgroups', () => {
    const gh = loadConfig({
      cwd: project({ forge: { type: 'github' }, repository: { url: 'git@github.com:me/tool.git' } }),
      env: {},
    });
    expect(gh.config.forge).toMatchObject({ owner: 'me', repo: 'tool' });
    const gl = loadConfig({
      cwd: project({
        forge: { type: 'gitlab', url: 'https://gitlab.example.com' },
        repository: { url: 'https://gitlab.example.com/group/sub/project.git' },
      }),
      env: {},
    });
    expect(gl.config.forge).toMatchObject({ owner: 'group/sub', repo: 'project' });
  });
});
