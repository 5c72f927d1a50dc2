import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/index.js';
import { folderContents, gitOut, makeProject, tmpDir, writeTask } from '../../helpers/project.js';

const EMAIL = 't@example.com';
/**
 * The agent writes what it can see of gpg: neither the variable, nor the key through gpg, nor
 * the key files at their path (the bwrap sandbox hides /tmp, HOME and /run) may reach it.
 */
const write = (home: string) =>
  `echo "gnupghome=[$GNUPGHOME]" > "file-$TP_TASK_ID.txt"; gpg --batch --list-secret-keys >> "file-$TP_TASK_ID.txt" 2>&1; ls "${home}/private-keys-v1.d" >> "file-$TP_TASK_ID.txt" 2>&1; true`;

const apps: App[] = [];
const homes: string[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
  for (const h of homes.splice(0))
    spawnSync('gpgconf', ['--kill', 'gpg-agent'], { env: { ...process.env, GNUPGHOME: h } });
});

/** A throwaway GnuPG home; with `key`, an ed25519 signing key without passphrase for EMAIL. */
function gnupgHome(key: boolean): string {
  const home = tmpDir('tp-gpg-');
  chmodSync(home, 0o700);
  homes.push(home);
  if (key) {
    execFileSync(
      'gpg',
      ['--batch', '--passphrase', '', '--quick-gen-key', `Test <${EMAIL}>`, 'ed25519', 'sign', 'never'],
      { env: { ...process.env, GNUPGHOME: home }, stdio: 'pipe' },
    );
  }
  return home;
}

async function runTask(gnupghome: string) {
  const { root, remote } = await makeProject({
    agent: { type: 'command', command: write(gnupghome) },
    sandbox: { mode: 'bwrap' },
    git: { signCommits: true, userEmail: EMAIL, userName: 'Signing Robot' },
  });
  writeTask(root, '1', { title: 'Signed change' });
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? root,
    GNUPGHOME: gnupghome,
  };
  const app = await createApp(loadConfig({ cwd: root, env }));
  apps.push(app);
  await app.worker.start({ watch: false });
  await app.worker.idle();
  return { root, remote, app };
}

describe('git.signCommits with a real gpg key', () => {
  it('signs the commit so that git verify-commit accepts it; the agent never sees the key', async () => {
    const home = gnupgHome(true);
    const { root, remote } = await runTask(home);
    expect(folderContents(root).review).toEqual(['task-1 - Signed change.md']);
    const sha = gitOut(['rev-parse', 'task-1'], remote);
    const v = spawnSync('git', ['verify-commit', '-v', sha], {
      cwd: remote,
      env: { ...process.env, GNUPGHOME: home },
      encoding: 'utf8',
    });
    expect(v.status).toBe(0);
    expect(v.stderr).toContain(`Good signature from "Test <${EMAIL}>"`);
    const status = execFileSync('git', ['log', '-1', '--format=%G? %ae', sha], {
      cwd: remote,
      env: { ...process.env, GNUPGHOME: home },
      encoding: 'utf8',
    });
    expect(status.trim()).toBe(`G ${EMAIL}`);
    const seen = gitOut(['show', `${sha}:file-1.txt`], remote);
    expect(seen).toContain('gnupghome=[]');
    expect(seen).not.toContain(EMAIL);
    expect(seen).not.toMatch(/\.key\b/);
    expect(seen).toMatch(/No such file or directory/);
  });

  it('fails the task with GIT_SIGN_FAILED and a hint when there is no key, without waiting on a prompt', async () => {
    const home = gnupgHome(false);
    const { root, remote } = await runTask(home);
    expect(folderContents(root).failed).toEqual(['task-1 - Signed change.md']);
    const json = JSON.parse(
      readFileSync(path.join(root, 'backlog/failed/task-1 - Signed change.error.json'), 'utf8'),
    );
    expect(json).toMatchObject({ code: 'GIT_SIGN_FAILED', retryable: false });
    expect(json.hint).toContain('git.signCommits');
    expect(json.hint).toContain(EMAIL);
    expect(gitOut(['branch', '--list', 'task-1'], remote)).toBe('');
  });
});
