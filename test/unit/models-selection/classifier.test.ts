import { describe, expect, it } from 'vitest';
import { classifyTask, filesNamed, taskKinds } from '../../../src/models/selection/index.js';
import { task } from './helpers.js';

describe('classifyTask', () => {
  it('a short typo fix with no criteria is small, and says why', () => {
    const c = classifyTask(
      task({ description: 'Fix the typo "recieve" in README.md.', acceptanceCriteria: [], labels: ['typo'] }),
    );
    expect(c.size).toBe('small');
    expect(c.signals).toBe('36 chars, 0 criteria, 1 file, label typo');
  });

  it('a feature is large even when described briefly', () => {
    expect(classifyTask(task({ labels: ['feature'], description: 'Add login.' })).size).toBe('large');
    expect(classifyTask(task({ labels: ['Refactor'] })).size).toBe('large');
  });

  it('a short bug report with one criterion is medium', () => {
    const c = classifyTask(
      task({ labels: ['bug'], description: 'Crash on empty input.', acceptanceCriteria: ['no crash'] }),
    );
    expect(c.size).toBe('medium');
  });

  it('length, criteria and files named make an unlabelled task large', () => {
    const description = `${'Rework the parser. '.repeat(60)} Touches src/a.ts, src/b.ts, lib/c.js and docs/d.md.`;
    const c = classifyTask(task({ description, acceptanceCriteria: ['1', '2', '3', '4', '5'] }));
    expect(c).toMatchObject({ size: 'large', files: 4, criteria: 5 });
    expect(c.chars).toBeGreaterThan(800);
  });

  it('priority moves the score: low makes a plain task small, high a docs task medium', () => {
    const plain = { description: 'Tweak it.', acceptanceCriteria: [] };
    expect(classifyTask(task({ ...plain, priority: 'low' })).size).toBe('small');
    expect(classifyTask(task({ ...plain, priority: 'medium' })).size).toBe('small');
    const docs = task({
      labels: ['docs'],
      priority: 'high',
      description: 'x'.repeat(2500),
      acceptanceCriteria: ['1', '2', '3', '4', '5'],
    });
    expect(classifyTask(docs).size).toBe('medium');
    expect(classifyTask(docs).signals).toContain('priority high');
  });

  it('the strongest label counts when labels disagree', () => {
    expect(classifyTask(task({ labels: ['docs', 'refactor'] })).size).toBe('large');
  });
});

describe('filesNamed', () => {
  it('finds paths with known extensions, once each, and not version numbers or abbreviations', () => {
    const t = task({
      title: 'Update src/app.ts',
      description: 'See `README.md`, src/app.ts and package.json, e.g. v2.5 or 1.2.3; not example.com.',
    });
    expect(filesNamed(t).sort()).toEqual(['README.md', 'package.json', 'src/app.ts']);
  });
});

describe('taskKinds', () => {
  it('one kind per label (lower-cased) and the size bucket', () => {
    expect(taskKinds(task({ labels: ['Bug', 'bug', 'ui'] }), 'medium')).toEqual([
      'label:bug',
      'label:ui',
      'size:medium',
    ]);
  });
});
