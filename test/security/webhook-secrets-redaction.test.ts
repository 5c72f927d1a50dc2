import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, secretValues } from '../../src/config/index.js';
import { LogHub } from '../../src/observability/index.js';
import { scanDiff } from '../../src/review/index.js';
import { tmpDir } from '../helpers/project.js';

/**
 * Issue 9, finding 11: GITHUB_WEBHOOK_SECRET and GITLAB_WEBHOOK_SECRET join the redaction and
 * scan lists, like the forge tokens. Values with no recognisable shape: only the list of the
 * service's own secrets can catch them.
 */
const GITHUB_SECRET = 'gh-hook-plain-value-4711';
const GITLAB_SECRET = 'gl-hook-plain-value-0815';

function loadedSecrets(): string[] {
  const loaded = loadConfig({
    cwd: tmpDir(),
    env: { GITHUB_WEBHOOK_SECRET: GITHUB_SECRET, GITLAB_WEBHOOK_SECRET: GITLAB_SECRET },
  });
  return secretValues(loaded.secrets);
}

describe('GitHub and GitLab webhook secrets', () => {
  it('never reach a log file', async () => {
    const dir = tmpDir();
    const hub = new LogHub({
      level: 'debug',
      directory: dir,
      maxSize: '10m',
      maxFiles: 2,
      compress: false,
      format: 'json',
      includeTimestamp: false,
      secrets: loadedSecrets(),
    });
    hub.get('server').debug({ headers: { 'x-hub-signature': GITHUB_SECRET } }, `token ${GITLAB_SECRET} seen`);
    await hub.close();
    const text = readFileSync(path.join(dir, 'processor.log'), 'utf8');
    expect(text).toContain('seen');
    expect(text).not.toContain(GITHUB_SECRET);
    expect(text).not.toContain(GITLAB_SECRET);
  });

  it('are secrets the scan blocks in a change', () => {
    const diff = [
      'diff --git a/src/hook.js b/src/hook.js',
      '--- a/src/hook.js',
      '+++ b/src/hook.js',
      '@@ -1 +1,3 @@',
      ' // webhook',
      `+const gh = "${GITHUB_SECRET}";`,
      `+const gl = "${GITLAB_SECRET}";`,
    ].join('\n');
    expect(scanDiff(diff, { known: loadedSecrets() })).toEqual([
      { file: 'src/hook.js', line: 2, rule: 'a secret configured in this service' },
      { file: 'src/hook.js', line: 3, rule: 'a secret configured in this service' },
    ]);
  });
});
