import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TpError } from '../../../src/errors/index.js';
import { EventBus } from '../../../src/events/index.js';
import { FolderSource } from '../../../src/intake/folder-source.js';
import { failTask } from '../../../src/pipeline/failure.js';
import { SqliteStore } from '../../../src/store/index.js';
import { tmpDir, writeTask } from '../../helpers/project.js';

function setup() {
  const root = tmpDir();
  const folders = Object.fromEntries(
    ['todo', 'doing', 'review', 'failed', 'completed'].map((f) => {
      const dir = path.join(root, 'backlog', f);
      mkdirSync(dir, { recursive: true });
      return [f, dir];
    }),
  ) as Record<'todo' | 'doing' | 'review' | 'failed' | 'completed', string>;
  const events = new EventBus();
  const seen: Array<{ type: string; payload: unknown }> = [];
  events.on('task.failed', (e) => seen.push({ type: 'task.failed', payload: e }));
  events.on('task.invalid', (e) => seen.push({ type: 'task.invalid', payload: e }));
  const deps = {
    source: new FolderSource({ folders, extractRegex: 'task-(\\d+)' }),
    store: new SqliteStore(':memory:'),
    events,
    secrets: ['hunter2-secret'],
  };
  const errorJson = (name: string) =>
    JSON.parse(readFileSync(path.join(folders.failed, name.replace(/\.md$/, '.error.json')), 'utf8'));
  return { root, folders, deps, seen, errorJson };
}

describe('failTask: the one failure path', () => {
  it('moves a run to failed/ with the original tool’s error fields, records the run and its attempts, and tells the bus', async () => {
    const { root, deps, seen, errorJson } = setup();
    const file = writeTask(root, '3', { title: 'Broken' }, 'doing');
    const name = path.basename(file);
    deps.store.upsertRun({ taskId: '3', file: name, state: 'running', retryCount: 1 });
    const moved = await failTask(deps, {
      taskId: '3',
      file,
      error: new TpError('Agent exited with code 1', { code: 'AGENT_FAILED' }),
      stage: 'agent',
      model: 'qwen',
      attempts: [
        {
          attemptNumber: 1,
          model: 'qwen',
          code: 'AGENT_FAILED',
          errorType: 'permanent',
          error: 'exit 1 hunter2-secret',
          durationMs: 5,
        },
      ],
      outputTail: 'Error: Model not found (token hunter2-secret)',
      run: 'owned',
      event: { kind: 'failed', elapsedMs: 12 },
    });
    expect(path.basename(moved.file)).toBe(name);
    const report = errorJson(name);
    // The original's fields: timestamp, filename, error, stderr (the output tail, redacted).
    expect(report).toMatchObject({
      filename: name,
      error: 'Agent exited with code 1',
      stderr: 'Error: Model not found (token ***)',
      outputTail: 'Error: Model not found (token ***)',
      retryCount: 1,
      model: 'qwen',
      stage: 'agent',
    });
    expect(Date.parse(report.timestamp)).not.toBeNaN();
    expect(deps.store.getRun('3')).toMatchObject({ state: 'failed', error: 'Agent exited with code 1' });
    expect(deps.store.listAttempts('3').map((a) => a.error)).toEqual(['exit 1 ***']);
    expect(seen).toEqual([
      {
        type: 'task.failed',
        payload: {
          taskId: '3',
          file: name,
          code: 'AGENT_FAILED',
          error: 'Agent exited with code 1',
          retryable: false,
          elapsedMs: 12,
        },
      },
    ]);
  });

  it('writes stderr as an empty string when there is no output, so scripts reading it still work', async () => {
    const { root, deps, errorJson } = setup();
    const file = writeTask(root, '4', { title: 'No output' }, 'doing');
    await failTask(deps, {
      taskId: '4',
      file,
      error: new TpError('Push refused', { code: 'PUSH_FAILED', retryable: true }),
      stage: 'push',
      run: 'owned',
      event: { kind: 'failed', elapsedMs: 0 },
    });
    expect(errorJson(path.basename(file))).toMatchObject({ stderr: '', code: 'PUSH_FAILED' });
  });

  it('at intake, updates only a run recorded under the same file: a duplicate id never touches another task’s run', async () => {
    const { root, deps, seen } = setup();
    const own = writeTask(root, '5', { title: 'Retried' });
    deps.store.upsertRun({ taskId: '5', file: path.basename(own), state: 'queued', retryCount: 2 });
    deps.store.upsertRun({ taskId: '6', file: 'task-6 - Owner.md', state: 'review', prNumber: 9 });
    const dup = writeTask(root, '6', { title: 'Copy' });

    await failTask(deps, {
      taskId: '5',
      file: own,
      error: new TpError('Invalid task file: line 3: no title', { code: 'TASK_INVALID' }),
      stage: 'validate',
      errorType: 'invalid',
      line: 3,
      run: 'if-same-file',
      event: { kind: 'invalid', summary: 'line 3: no title' },
    });
    await failTask(deps, {
      taskId: '6',
      file: dup,
      error: new TpError('Task id 6 already belongs to another file', { code: 'TASK_DUPLICATE_ID' }),
      stage: 'validate',
      errorType: 'rejected',
      run: 'if-same-file',
      event: { kind: 'invalid' },
    });
    expect(deps.store.getRun('5')).toMatchObject({ state: 'failed', retryCount: 2 });
    expect(deps.store.getRun('6')).toMatchObject({ state: 'review', prNumber: 9, error: undefined });
    expect(seen.map((s) => s.type)).toEqual(['task.invalid', 'task.invalid']);
    expect(seen[0]?.payload).toEqual({
      taskId: '5',
      file: path.basename(own),
      error: 'line 3: no title',
      line: 3,
    });
  });
});
