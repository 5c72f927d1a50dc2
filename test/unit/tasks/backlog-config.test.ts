import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TpError } from '../../../src/errors/index.js';
import { type BacklogProjectConfig, backlogStatusFor, parseBacklogConfig } from '../../../src/tasks/index.js';

const INIT_CONFIG = readFileSync(
  fileURLToPath(new URL('../../fixtures/tasks/backlog/config.yml.txt', import.meta.url)),
  'utf8',
);

describe('parseBacklogConfig', () => {
  it('reads the file `backlog init` writes', () => {
    expect(parseBacklogConfig(INIT_CONFIG)).toEqual({
      statuses: ['To Do', 'In Progress', 'Done'],
      defaultStatus: 'To Do',
      taskPrefix: 'task',
      raw: INIT_CONFIG,
    });
  });

  it.each([
    ['empty file → Backlog.md defaults', '', ['To Do', 'In Progress', 'Done'], 'To Do', 'task'],
    [
      'custom statuses, default from the list',
      'statuses:\n  - Backlog\n  - Doing\n  - In Review\n  - Shipped\n',
      ['Backlog', 'Doing', 'In Review', 'Shipped'],
      'Backlog',
      'task',
    ],
    [
      'explicit default and prefix, CRLF and BOM',
      '\uFEFFdefault_status: "Todo"\r\nstatuses: ["Todo", "Done"]\r\ntask_prefix: "back"\r\n',
      ['Todo', 'Done'],
      'Todo',
      'back',
    ],
  ])('%s', (_name, text, statuses, defaultStatus, taskPrefix) => {
    expect(parseBacklogConfig(text)).toMatchObject({ statuses, defaultStatus, taskPrefix, raw: text });
  });

  it.each([
    ['bad YAML names the line', 'project_name: x\nstatuses: [a, b\n', /not valid YAML at line 3/],
    ['statuses not a list', 'statuses: Done\n', /"statuses" must be a non-empty list/],
    ['statuses empty', 'statuses: []\n', /"statuses" must be a non-empty list/],
    ['not a mapping', '- a\n- b\n', /must be a mapping/],
  ])('%s → CONFIG_INVALID', (_name, text, re) => {
    let caught: unknown;
    try {
      parseBacklogConfig(text);
    } catch (err) {
      caught = err;
    }
    expect(TpError.isInstance(caught)).toBe(true);
    expect((caught as TpError).code).toBe('CONFIG_INVALID');
    expect((caught as TpError).message).toMatch(re);
  });
});

describe('backlogStatusFor', () => {
  const cfg = (statuses: string[]): BacklogProjectConfig => ({
    statuses,
    defaultStatus: statuses[0] ?? '',
    taskPrefix: 'task',
    raw: '',
  });
  it.each([
    [['To Do', 'In Progress', 'Done'], 'In Progress', undefined, 'Done'],
    [['To Do', 'In Progress', 'In Review', 'Done'], 'In Progress', 'In Review', 'Done'],
    [['Backlog', 'Doing', 'Code review', 'Completed'], 'Doing', 'Code review', 'Completed'],
    [['todo', 'wip', 'shipped'], 'wip', undefined, 'shipped'],
  ])('%j → claimed %s, review %s, done %s', (statuses, claimed, review, done) => {
    const c = cfg(statuses);
    expect(backlogStatusFor(c, 'claimed')).toBe(claimed);
    expect(backlogStatusFor(c, 'review')).toBe(review);
    expect(backlogStatusFor(c, 'done')).toBe(done);
  });
});
