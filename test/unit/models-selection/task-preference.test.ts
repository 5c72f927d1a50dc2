import { describe, expect, it } from 'vitest';
import { parseBacklogTask, parseOriginalTask } from '../../../src/tasks/index.js';

describe("the seed's modelPreference tag", () => {
  it('is read from original-format frontmatter', () => {
    const text = [
      '---',
      'title: Fix authentication bug',
      'modelPreference: security-focused',
      'suggestedModels: [deepseek-coder, mistral]',
      '---',
      '',
    ].join('\n');
    const r = parseOriginalTask(text, { fileName: 'task-3 - Fix.md', extractRegex: 'task-(\\d+)' });
    expect(r.ok && r.task.modelPreference).toBe('security-focused');
    expect(r.ok && r.task.suggestedModels).toEqual(['deepseek-coder', 'mistral']);
  });

  it('is read from Backlog.md frontmatter, and absent when not written', () => {
    const text = ['---', 'id: task-4', 'title: T', 'modelPreference: fast', '---', ''].join('\n');
    const r = parseBacklogTask(text, { fileName: 'task-4 - T.md' });
    expect(r.ok && r.task.modelPreference).toBe('fast');
    const plain = parseBacklogTask(['---', 'id: task-5', 'title: T', '---', ''].join('\n'), {
      fileName: 'task-5 - T.md',
    });
    expect(plain.ok && plain.task.modelPreference).toBeUndefined();
  });
});
