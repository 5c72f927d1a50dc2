import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/index.js';
import { folderContents, gitOut, makeProject, writeTask } from '../../helpers/project.js';
import { redisSuiteMode, startRedis, type TestRedis } from '../../helpers/redis.js';

/*
 * A bullmq coordinator runs no stage itself, so it builds no agent, router, warm-up, reviewer or
 * workspace at start; a reviewer's follow-up comment (which still runs on the coordinator)
 * builds them on first use.
 */

const mode = redisSuiteMode();
const AGENT =
  'case "$TP_FOLLOW_UP" in *"make it 2"*) echo 2;; *"make it 3"*) echo 3;; *) echo 1;; esac > value.txt';

describe.skipIf(mode.skip)('bullmq coordinator: run parts built on first use', () => {
  let redis: TestRedis;
  const closers: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  });
  afterAll(async () => {
    await redis?.stop();
  });

  async function open(root: string): Promise<App> {
    const app = await createApp(loadConfig({ cwd: root, env: {} }));
    let closing: Promise<void> | undefined;
    const close = app.close.bind(app);
    app.close = () => {
      closing ??= close();
      return closing;
    };
    closers.push(() => app.close());
    return app;
  }

  function useBullmq(root: string): void {
    const file = path.join(root, 'config.json');
    const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    delete config.folders;
    config.queue = { backend: 'bullmq', redis: { url: redis.url }, prefix: redis.prefix(), workers: 0 };
    writeFileSync(file, JSON.stringify(config, null, 2));
  }

  it('builds no router or warm-up at start, where the memory backend does', async () => {
    const { root } = await makeProject({ agent: { type: 'builtin' } });
    const memory = await open(root);
    expect(memory.router).toBeDefined();
    expect(memory.warmUp).toBeDefined();
    await memory.close();
    useBullmq(root);
    const coordinator = await open(root);
    expect(coordinator.coordinator).toBeDefined();
    expect(coordinator.router).toBeUndefined();
    expect(coordinator.warmUp).toBeUndefined();
  }, 30_000);

  it('runs follow-up comments on a task in review, building the run parts on the first', async () => {
    const { root, remote } = await makeProject({
      agent: { type: 'command', command: AGENT },
      ollama: { availableModels: [] },
      // The run before the switch keeps its worktrees in a folder of its own: a coordinator
      // sweeps no worktree a memory-backend process left (its workers have their own).
      folders: { repos: 'repos-memory' },
    });
    writeTask(root, '1', { title: 'Value' });
    // The task reaches review/ with its PR through the memory backend, as before a switch to bullmq.
    const memory = await open(root);
    await memory.worker.start({ watch: false });
    await memory.worker.idle();
    await memory.close();
    expect(folderContents(root).review).toEqual([expect.stringMatching(/^task-1 /)]);

    useBullmq(root);
    const app = await open(root);
    await app.worker.start({ watch: false });
    const pr = app.store.listPullRequests().find((p) => p.head === 'task-1')!;
    expect(await app.startFollowUp('1', pr.number, 'please make it 2', 'amy')).toBe(true);
    await app.followUpsIdle();
    expect(gitOut(['show', 'task-1:value.txt'], remote)).toBe('2');
    // The second comment reuses the parts the first one built.
    expect(await app.startFollowUp('1', pr.number, 'now make it 3', 'amy')).toBe(true);
    await app.followUpsIdle();
    expect(gitOut(['show', 'task-1:value.txt'], remote)).toBe('3');
    expect(gitOut(['rev-list', '--count', 'main..task-1'], remote)).toBe('3');
    const comments = app.store.listComments(pr.number);
    expect(comments).toHaveLength(2);
    for (const c of comments) expect(c).toMatch(/^ticket-processor: pushed [0-9a-f]{10} to `task-1`/);
    // A task not in review starts nothing.
    expect(await app.startFollowUp('9', pr.number, 'make it 2', 'amy')).toBe(false);
    expect(folderContents(root).review).toEqual([expect.stringMatching(/^task-1 /)]);
  }, 60_000);
});
