import { describe, expect, it } from 'vitest';
import { projectHidePaths } from '../../../src/sandbox/index.js';

describe('projectHidePaths', () => {
  it('hides .env, config.json, the state folder, logs, repos and prompts', () => {
    expect(
      projectHidePaths({
        baseDir: '/srv/tp',
        configPath: '/srv/tp/config.json',
        storePath: '/srv/tp/.ticket-processor/state.db',
        logDir: '/var/log/tp',
        reposDir: '/srv/tp/repos',
        promptDir: '/srv/tp/repos/prompts',
      }),
    ).toEqual([
      '/srv/tp/.env',
      '/srv/tp/config.json',
      '/srv/tp/.ticket-processor',
      '/var/log/tp',
      '/srv/tp/repos',
      '/srv/tp/repos/prompts',
    ]);
  });

  it('a database right in the project folder hides its files, not the folder', () => {
    const hide = projectHidePaths({
      baseDir: '/srv/tp',
      storePath: '/srv/tp/state.db',
      logDir: '/srv/tp/logs',
      reposDir: '/srv/tp/repos',
      promptDir: '/srv/tp/repos/prompts',
    });
    expect(hide).not.toContain('/srv/tp');
    expect(hide).toEqual(
      expect.arrayContaining(['/srv/tp/state.db', '/srv/tp/state.db-wal', '/srv/tp/state.db-shm']),
    );
  });

  it('hides a GNUPGHOME outside HOME (the signing keys of git.signCommits)', () => {
    const hide = projectHidePaths({
      baseDir: '/srv/tp',
      storePath: '/srv/tp/state.db',
      logDir: '/srv/tp/logs',
      reposDir: '/srv/tp/repos',
      promptDir: '/srv/tp/repos/prompts',
      gnupgHome: '/srv/keys',
    });
    expect(hide).toContain('/srv/keys');
  });
});
