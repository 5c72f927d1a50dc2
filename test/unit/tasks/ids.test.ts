import { describe, expect, it } from 'vitest';
import { normalizeTaskRef, taskFileName, taskIdFromFileName } from '../../../src/tasks/index.js';

describe('taskIdFromFileName', () => {
  it.each([
    ['task-42 - X.md', 'task-(\\d+)', '42'],
    ['/abs/backlog/todo/task-7 - Add auth.md', 'task-(\\d+)', '7'],
    ['TASK-8 - upper.md', 'task-(\\d+)', '8'],
    ['task-3 - Dependent-with-ünïcode-—-title.md', 'task-(\\d+)', '3'],
    ['ticket_0099.md', 'ticket_(\\d+)', '0099'],
    ['PROJ-12 thing.md', '[A-Z]+-\\d+', 'PROJ-12'],
  ])('%s with %s → %s', (name, rx, id) => {
    expect(taskIdFromFileName(name, rx)).toBe(id);
  });

  it.each([
    ['notes.md', 'task-(\\d+)'],
    ['task-x - no number.md', 'task-(\\d+)'],
    ['task-1.md', '(unclosed'],
  ])('%s with %s → undefined', (name, rx) => {
    expect(taskIdFromFileName(name, rx)).toBeUndefined();
  });
});

describe('normalizeTaskRef', () => {
  it.each([
    ['task-7', '7'],
    ['TASK-7', '7'],
    [' 7 ', '7'],
    [7, '7'],
    ['task-3.1', '3.1'],
    ['back-12', '12'],
    ['weird ref', 'weird ref'],
  ])('%s → %s', (ref, id) => {
    expect(normalizeTaskRef(ref)).toBe(id);
  });
});

describe('taskFileName', () => {
  it.each([
    ['5', 'Add user authentication', 'task-5 - Add user authentication.md'],
    ['6', 'Fix: a/b\\c <bad> "chars" | ? *', 'task-6 - Fix a b c bad chars.md'],
    ['7', 'Ünïcode — 日本語', 'task-7 - Ünïcode — 日本語.md'],
    ['8', '  spaced\tout\n title.  ', 'task-8 - spaced out title.md'],
    ['9', '???', 'task-9.md'],
  ])('%s + %j → %s', (id, title, name) => {
    expect(taskFileName(id, title)).toBe(name);
  });

  it('caps long titles and the name still yields the id', () => {
    const name = taskFileName('10', 'x'.repeat(300));
    expect(name).toBe(`task-10 - ${'x'.repeat(80)}.md`);
    expect(taskIdFromFileName(name, 'task-(\\d+)')).toBe('10');
  });
});
