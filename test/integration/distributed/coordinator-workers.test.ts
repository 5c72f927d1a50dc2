import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { folderContents, gitOut, makeProject, runCli, writeTask } from '../../helpers/project.js';
import { redisSuiteMode, startRedis, type TestRedis } from '../../helpers/redis.js';

const mode = redisSuiteMode();
const WRITE = 'echo "work of $TP_TASK_ID" > "file-$TP_TASK_ID.txt"';

describe.skipIf(mode.skip)('start with in-process workers (queue.workers) on a real Redis', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('start --once with queue.workers 2 and perRepository 1 takes every task to review, one commit each', async () => {
    const prefix = redis.prefix();
    const { root, remote } = await makeProject({
      agent: { type: 'command', command: WRITE },
      queue: {
        backend: 'bullmq',
        redis: { url: redis.url },
        prefix,
        workers: 2,
        perRepository: 1,
        lockDurationMs: 4000,
        stalledIntervalMs: 1000,
      },
    });
    for (const id of ['1', '2', '3']) writeTask(root, id);
    writeTask(root, '4', { dependencies: ['task-1'] });
    const res = await runCli(['start', '--once'], {
      cwd: root,
      env: { REDIS_URL: redis.url },
      timeoutMs: 120_000,
    });
    // Task 4 waits for task 1's PR to be merged, which nobody does here.
    expect(folderContents(root)).toMatchObject({
      todo: ['task-4 - Task number 4.md'],
      doing: [],
      failed: [],
      review: ['task-1 - Task number 1.md', 'task-2 - Task number 2.md', 'task-3 - Task number 3.md'],
    });
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/in-process worker/);
    for (const id of ['1', '2', '3']) {
      expect(gitOut(['rev-list', '--count', `main..task-${id}`], remote)).toBe('1');
    }
  }, 150_000);
});
