import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FolderSource } from '../../../src/intake/folder-source.js';
import { modelChain, queuedFirstModels, rankModels } from '../../../src/models/index.js';
import { tmpDir, writeTask } from '../../helpers/project.js';

describe('rankModels', () => {
  it('orders by how many tasks need a model, ties by queue order, one spelling per model', () => {
    expect(rankModels(['a', 'b', 'ollama/b:latest', 'c', 'c', 'c'], 'd', 5)).toEqual(['c', 'b', 'a']);
    expect(rankModels(['a', 'b', 'c'], 'd', 2)).toEqual(['a', 'b']);
  });

  it('falls back to the default model when nothing is queued, and respects maxModels 0', () => {
    expect(rankModels([], 'ollama/qwen2.5-coder:7b', 2)).toEqual(['qwen2.5-coder:7b']);
    expect(rankModels([], undefined, 2)).toEqual([]);
    expect(rankModels(['a'], 'd', 0)).toEqual([]);
    expect(rankModels([], 'd', 0)).toEqual([]);
  });
});

describe('queuedFirstModels', () => {
  it('lists the first model of each task: resumed ones first, then pending by priority', async () => {
    const root = tmpDir();
    const base = path.join(root, 'backlog');
    const folders = {
      todo: path.join(base, 'todo'),
      doing: path.join(base, 'doing'),
      review: path.join(base, 'review'),
      failed: path.join(base, 'failed'),
      completed: path.join(base, 'completed'),
    };
    for (const dir of Object.values(folders)) mkdirSync(dir, { recursive: true });
    writeTask(root, '1', { priority: 'low', model: 'deepseek-coder' });
    writeTask(root, '2', { priority: 'high', model: 'ollama/llama3.1:8b' });
    writeTask(root, '3', { priority: 'medium' });
    writeTask(root, '4', { priority: 'low', model: 'phi3' }, 'doing');
    // An unreadable task is skipped, not an error.
    writeTask(root, '5', { extra: 'priority: [not, valid' });
    const source = new FolderSource({ folders, extractRegex: 'task-(\\d+)' });
    const options = { defaultModel: 'qwen2.5-coder:7b', fallbackModels: ['x'], availableModels: [] };
    const models = await queuedFirstModels(source, (t) => modelChain(t, options));
    expect(models).toEqual(['phi3', 'llama3.1:8b', 'qwen2.5-coder:7b', 'deepseek-coder']);
  });
});
