import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogHub } from '../../src/observability/index.js';
import { scanDiff } from '../../src/review/index.js';
import { tmpDir } from '../helpers/project.js';

/**
 * Issue 9, finding 11: debug logs never keep values that the secret scan blocked. An agent's
 * output is logged while it runs, before the scan sees the change: a key the model printed
 * must not survive in a log file, whatever its field or escaping.
 */
const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE';
const GH_TOKEN = `ghp_${'Ab3'.repeat(12)}`;
const GL_TOKEN = 'glpat-abcdefghijklmnopqrstu';
const PRIVATE_KEY = [
  '-----BEGIN OPENSSH PRIVATE KEY-----',
  'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW',
  '-----END OPENSSH PRIVATE KEY-----',
].join('\n');
const PASSWORD = 's3cr3t-passw0rd-value-xyz';

async function logged(format: 'json' | 'pretty', write: (hub: LogHub) => void): Promise<string> {
  const dir = tmpDir();
  const hub = new LogHub({
    level: 'debug',
    directory: dir,
    maxSize: '10m',
    maxFiles: 2,
    compress: false,
    format,
    includeTimestamp: true,
    secrets: [],
  });
  write(hub);
  await hub.close();
  return readdirSync(dir)
    .map((f) => readFileSync(path.join(dir, f), 'utf8'))
    .join('\n');
}

describe('log lines never keep what the secret scan blocks', () => {
  it('an agent output chunk logged at debug level', async () => {
    const chunk = `running tests\n${AWS_KEY}\nexport GITHUB_TOKEN=${GH_TOKEN}\n${GL_TOKEN}\n${PRIVATE_KEY}\n"password": "${PASSWORD}"\ndone`;
    // The same text is what the scan blocks when it lands in a change.
    const asDiff = ['+++ b/out.txt', '@@ -0,0 +1,9 @@', ...chunk.split('\n').map((l) => `+${l}`)].join('\n');
    expect(new Set(scanDiff(asDiff).map((f) => f.rule))).toEqual(
      new Set(['AWS access key id', 'GitHub token', 'GitLab token', 'private key', 'hard-coded credential']),
    );
    for (const format of ['json', 'pretty'] as const) {
      const text = await logged(format, (hub) => {
        hub.get('processor').debug({ taskId: '7', chunk }, 'agent output');
        hub.get('processor').error({ err: { message: `failed with ${AWS_KEY}` } }, `tail: ${GH_TOKEN}`);
      });
      expect(text).toContain('agent output');
      expect(text).toContain('running tests');
      for (const secret of [AWS_KEY, GH_TOKEN, GL_TOKEN, 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmU', PASSWORD]) {
        expect(text, `${format}: ${secret}`).not.toContain(secret);
      }
    }
  });

  it('keeps every JSON line valid', async () => {
    const text = await logged('json', (hub) => {
      hub.get('git').debug({ out: `${PRIVATE_KEY.split('\n')[0]} no end line` }, `key ${AWS_KEY}`);
    });
    const [line] = text.split('\n').filter((l) => l.trim() !== '');
    const parsed = JSON.parse(line ?? '');
    expect(parsed.message).toBe('key ***');
    expect(parsed.out).toBe('***');
  });
});
