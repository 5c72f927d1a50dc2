import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { tmpDir } from '../../helpers/project.js';

function project(config: unknown, dotenv?: string): string {
  const dir = tmpDir();
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  if (dotenv) writeFileSync(path.join(dir, '.env'), dotenv);
  return dir;
}

describe('loadConfig', () => {
  it('completes a partial config from defaults and reads .env under the real environment', () => {
    const cwd = project(
      { git: { pushRetries: 5 } },
      'OLLAMA_HOST=http://from-dotenv:11434\nGIT_USER_NAME=Dot Env\n',
    );
    const { config } = loadConfig({ cwd, env: { GIT_USER_NAME: 'Real Env' } });
    expect(config.git.pushRetries).toBe(5);
    expect(config.git.prTitle).toBe('[Task {id}] {title}');
    expect(config.ollama.host).toBe('http://from-dotenv:11434');
    expect(config.git.userName).toBe('Real Env');
  });

  it('fills a Gitea forge from GITEA_URL / GITEA_ORG, and only a Gitea forge', () => {
    const env = { GITEA_URL: 'https://gitea.example', GITEA_ORG: 'acme', GITEA_TOKEN: 'tok-123456' };
    const gitea = loadConfig({ cwd: project({ forge: { type: 'gitea', repo: 'r' } }), env });
    expect(gitea.config.forge).toMatchObject({ url: 'https://gitea.example', owner: 'acme' });
    expect(gitea.secrets.giteaToken).toBe('tok-123456');
    const github = loadConfig({ cwd: project({ forge: { type: 'github', owner: 'me', repo: 'r' } }), env });
    expect(github.config.forge.url).toBeUndefined();
    expect(github.config.forge.owner).toBe('me');
  });

  it('names the key path of an invalid value and warns about unknown keys', () => {
    expect(() => loadConfig({ cwd: project({ webhook: { port: 'x' } }), env: {} })).toThrow(/webhook\.port/);
    const { warnings } = loadConfig({ cwd: project({ gti: {}, git: { colour: 1 } }), env: {} });
    expect(warnings.join('\n')).toMatch(/unknown key "gti"[\s\S]*unknown key "git\.colour"/);
  });
});
