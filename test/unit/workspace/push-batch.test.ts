import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TpError } from '../../../src/errors/index.js';
import { gitResult } from '../../../src/workspace/git.js';
import { PushBatcher, parsePushPorcelain } from '../../../src/workspace/push-batch.js';
import { gitOut, tmpDir } from '../../helpers/project.js';
import { bareRemote, recordingWorkspace } from '../../helpers/workspace.js';

describe('PushBatcher', () => {
  it('pushes the requests made during a push in one git push; a stale lease fails only its own ref', async () => {
    const root = tmpDir();
    const { remote, advance } = bareRemote(root);
    const { ws } = recordingWorkspace(root);
    const wts = await Promise.all([1, 2, 3, 4].map((i) => ws.prepare(remote, 'main', `task-${i}`)));
    const shas: string[] = [];
    for (const [i, wt] of wts.entries()) {
      writeFileSync(path.join(wt.dir, `f${i}.txt`), String(i));
      shas.push(await ws.commit(wt, `change ${i}`, String(i + 1)));
    }
    // Someone else pushed task-3 after our fetch: our lease ('' = absent) is stale.
    const theirs = advance('task-3', 'theirs.txt');
    const cache = wts[0]!.cache!;
    const pushes: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const batcher = new PushBatcher({
      remote,
      attempts: 3,
      retryDelayMs: 1,
      sleep: async () => undefined,
      run: async (args) => {
        pushes.push(args);
        // Hold the first (lone) push until the others are queued behind it.
        if (pushes.length === 1) await gate;
        return gitResult([`--git-dir=${cache}`, ...args], { cwd: cache, network: true });
      },
    });
    const results = wts.map((wt, i) =>
      batcher.push(wt.branch, shas[i]!, wt.remoteBranchSha).then(
        () => 'ok',
        (e: unknown) => e,
      ),
    );
    release();
    const [r1, r2, r3, r4] = await Promise.all(results);
    expect(pushes).toHaveLength(2);
    expect(pushes[1]!.filter((a) => a.startsWith('--force-with-lease='))).toHaveLength(3);
    expect([r1, r2, r4]).toEqual(['ok', 'ok', 'ok']);
    expect(TpError.isInstance(r3) && r3.code).toBe('PUSH_FAILED');
    expect((r3 as TpError).retryable).toBe(false);
    expect((r3 as TpError).message).toMatch(/task-3.*stale info/);
    expect(gitOut(['rev-parse', 'task-1', 'task-2', 'task-4'], remote).split('\n')).toEqual([
      shas[0],
      shas[1],
      shas[3],
    ]);
    expect(gitOut(['rev-parse', 'task-3'], remote)).toBe(theirs);
    for (const wt of wts) await ws.cleanup(remote, wt);
    await ws.drain();
  });

  it('retries a ref whose push failed for a retryable reason, then gives up with PUSH_FAILED', async () => {
    let calls = 0;
    const batcher = new PushBatcher({
      remote: 'http://127.0.0.1:9/none.git',
      attempts: 3,
      retryDelayMs: 1,
      sleep: async () => undefined,
      run: async () => {
        calls++;
        const error = new TpError('git push failed: connection refused', {
          code: 'PUSH_FAILED',
          retryable: true,
        });
        return { ok: false, stdout: '', stderr: 'connection refused', error };
      },
    });
    const err = await batcher.push('task-1', 'a'.repeat(40), '').catch((e: unknown) => e);
    expect(calls).toBe(3);
    expect(TpError.isInstance(err) && err.message).toMatch(/after 3 attempt\(s\)/);
  });

  it('reads per-ref porcelain status', () => {
    const out = [
      'To /r.git',
      '*\tabc:refs/heads/task-1\t[new branch]',
      '!\tdef:refs/heads/task-2\t[rejected] (stale info)',
      '+\t123:refs/heads/task-3\t1...2 (forced update)',
      'Done',
    ].join('\n');
    const st = parsePushPorcelain(out);
    expect(st.get('refs/heads/task-1')).toEqual({ ok: true, summary: '[new branch]' });
    expect(st.get('refs/heads/task-2')).toEqual({ ok: false, summary: '[rejected] (stale info)' });
    expect(st.get('refs/heads/task-3')?.ok).toBe(true);
  });
});

describe('Workspace.push', () => {
  it('pushes concurrent tasks, each with its own lease, and re-runs replace their own branch', async () => {
    const root = tmpDir();
    const { remote } = bareRemote(root);
    const { ws, count } = recordingWorkspace(root);
    const run = async (i: number) => {
      const wt = await ws.prepare(remote, 'main', `task-${i}`);
      writeFileSync(path.join(wt.dir, `f${i}.txt`), String(Date.now()));
      const sha = await ws.commit(wt, `change ${i}`, String(i));
      await ws.push(remote, wt);
      await ws.cleanup(remote, wt);
      return sha;
    };
    const first = await Promise.all([1, 2, 3].map(run));
    const again = await Promise.all([1, 2, 3].map(run));
    for (const [i, sha] of again.entries()) {
      expect(gitOut(['rev-parse', `task-${i + 1}`], remote)).toBe(sha);
      expect(sha).not.toBe(first[i]);
    }
    expect(count('push')).toBeLessThanOrEqual(6);
    await ws.drain();
  });

  it('a push waits for the other tasks of its cache that are on their way, up to the linger time', async () => {
    const pushes: string[][] = [];
    let others = 2;
    const batcher = new PushBatcher({
      remote: '/nowhere.git',
      attempts: 1,
      retryDelayMs: 1,
      sleep: async () => undefined,
      linger: { maxMs: 10_000, others: () => others },
      run: async (args) => {
        pushes.push(args);
        const refs = args.filter((a) => /^[0-9a-f]{40}:/.test(a));
        return { ok: true, stdout: refs.map((r) => `*\t${r}\t[new branch]`).join('\n') };
      },
    });
    const sha = (n: number) => String(n).repeat(40);
    const a = batcher.push('task-1', sha(1), '');
    await new Promise((r) => setTimeout(r, 20));
    expect(pushes).toHaveLength(0);
    others = 1;
    const b = batcher.push('task-2', sha(2), '');
    await new Promise((r) => setTimeout(r, 20));
    expect(pushes).toHaveLength(0);
    // The last one asks: nobody else is coming, so all three go in one push at once.
    others = 0;
    const c = batcher.push('task-3', sha(3), '');
    await Promise.all([a, b, c]);
    expect(pushes).toHaveLength(1);
    expect(pushes[0]!.filter((x) => x.startsWith('--force-with-lease='))).toHaveLength(3);
  });

  it('a push whose company never comes goes alone after the linger time', async () => {
    const pushes: string[][] = [];
    const batcher = new PushBatcher({
      remote: '/nowhere.git',
      attempts: 1,
      retryDelayMs: 1,
      sleep: async () => undefined,
      linger: { maxMs: 50, others: () => 3 },
      run: async (args) => {
        pushes.push(args);
        const refs = args.filter((a) => /^[0-9a-f]{40}:/.test(a));
        return { ok: true, stdout: refs.map((r) => `*\t${r}\t[new branch]`).join('\n') };
      },
    });
    await batcher.push('task-1', '1'.repeat(40), '');
    expect(pushes).toHaveLength(1);
  });
});
