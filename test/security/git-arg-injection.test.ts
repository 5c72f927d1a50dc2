import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { TpError } from '../../src/errors/index.js';
import type { PreparedWorktree, Workspace } from '../../src/workspace/index.js';
import { makeProject } from '../helpers/project.js';
import { testWorkspace } from '../helpers/workspace.js';

/**
 * Issue 9, finding 1 (git part): a repository, branch or sha that starts with `-` must never
 * reach git as an option. On the old code `remoteHead('--upload-pack=touch …;@x', …)` ran the
 * command (`git ls-remote --heads <remote> …`).
 */
let root: string;
let remote: string;
let pwned: string;
let ws: Workspace;
let evil: string;

beforeEach(async () => {
  ({ root, remote } = await makeProject());
  pwned = path.join(root, 'pwned');
  evil = `--upload-pack=touch ${pwned};@x`;
  ws = testWorkspace(root);
});

/** The call fails with a clear refusal naming the value, and nothing ran. */
async function expectRefused(call: () => Promise<unknown>, value: string) {
  const err = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(existsSync(pwned)).toBe(false);
  expect(TpError.isInstance(err)).toBe(true);
  const e = err as TpError;
  expect(e.message).toContain(value);
  expect(e.message).toMatch(/starts with "-"/);
  expect(e.retryable).toBe(false);
}

describe('git argument injection through Workspace', () => {
  it('remoteHead refuses a remote starting with "-" (ran the command on the old code)', async () => {
    // As in the report: an earlier run of the task made the repos folder (git's working directory).
    await ws.sync(remote, 'main');
    await expectRefused(() => ws.remoteHead(evil, 'task-1'), evil);
  });

  it('remoteHead refuses a branch starting with "-"', async () => {
    await expectRefused(() => ws.remoteHead(remote, evil), evil);
  });

  it('sync and prepare refuse a remote starting with "-"', async () => {
    await expectRefused(() => ws.sync(evil, 'main'), evil);
    await expectRefused(() => ws.prepare(evil, 'main', 'task-1'), evil);
    await expectRefused(() => ws.prepareExisting(evil, 'task-1'), evil);
  });

  it('prepare refuses a base branch or task branch starting with "-"', async () => {
    await expectRefused(() => ws.prepare(remote, evil, 'task-1'), evil);
    await expectRefused(() => ws.prepare(remote, 'main', '-Bx'), '-Bx');
    await expectRefused(() => ws.prepareExisting(remote, '--orphan'), '--orphan');
  });

  it('push refuses a remote or branch starting with "-"', async () => {
    const wt = await ws.prepare(remote, 'main', 'task-1');
    await writeFile(path.join(wt.dir, 'x.txt'), 'x\n');
    await ws.commit(wt, 'msg', '1');
    await expectRefused(() => ws.push(`--receive-pack=touch ${pwned};@x`, wt), '--receive-pack');
    const bad: PreparedWorktree = { ...wt, branch: `--exec=touch ${pwned}` };
    await expectRefused(() => ws.push(remote, bad), '--exec=');
    await ws.cleanup(remote, wt);
  });

  it('reset refuses a base sha that is not a sha', async () => {
    const wt = await ws.prepare(remote, 'main', 'task-2');
    await expectRefused(() => ws.reset({ ...wt, baseSha: '--hard' }), '--hard');
    await ws.cleanup(remote, wt);
  });

  it('ordinary values still work: a full prepare, commit and push round trip', async () => {
    const wt = await ws.prepare(remote, 'main', 'feature/task-3');
    await writeFile(path.join(wt.dir, 'y.txt'), 'y\n');
    const sha = await ws.commit(wt, '-m looks like an option but is a message', '3');
    await ws.push(remote, wt);
    expect(await ws.remoteHead(remote, 'feature/task-3')).toBe(sha);
    await ws.cleanup(remote, wt);
  });
});
