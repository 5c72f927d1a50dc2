import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/index.js';
import { createForge } from '../../../src/forges/factory.js';
import { SqliteStore } from '../../../src/store/index.js';

const base = { store: new SqliteStore(':memory:'), remote: '/tmp/x', author: { name: 'a', email: 'a@b' } };

describe('createForge', () => {
  it.each([
    ['local', {}, {}, 'local'],
    ['gitea', { url: 'http://g', owner: 'o', repo: 'r' }, { giteaToken: 't0k3n' }, 'gitea'],
    ['github', { owner: 'o', repo: 'r' }, { githubToken: 't0k3n' }, 'github'],
    ['gitlab', { owner: 'grp', repo: 'r', url: 'https://gl.example' }, { gitlabToken: 't0k3n' }, 'gitlab'],
  ])('builds the %s forge', (type, forge, secrets, expected) => {
    const config = configSchema.parse({ forge: { type, ...forge } });
    expect(createForge({ ...base, config, secrets }).type).toBe(expected);
  });

  it.each([
    ['gitea', { url: 'http://g', owner: 'o', repo: 'r' }, 'GITEA_TOKEN'],
    ['github', { owner: 'o', repo: 'r' }, 'GITHUB_TOKEN'],
    ['gitlab', { repo: 'r' }, 'forge.owner'],
  ])('names what is missing for %s', (type, forge, missing) => {
    const config = configSchema.parse({ forge: { type, ...forge } });
    expect(() => createForge({ ...base, config, secrets: {} })).toThrow(missing);
  });
});
