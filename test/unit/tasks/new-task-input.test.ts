import { describe, expect, it } from 'vitest';
import {
  parseNewTaskInputs,
  parseOriginalTask,
  serializeOriginalTask,
  taskFileName,
} from '../../../src/tasks/index.js';

/** The bulk file from the original USAGE.md, verbatim. */
const USAGE_EXAMPLE = `[
  {
    "title": "Add user authentication",
    "description": "Implement OAuth 2.0",
    "priority": "high",
    "labels": ["backend", "security"],
    "model": "ollama/deepseek-coder",
    "acceptanceCriteria": [
      "Users can log in with Google",
      "Users can log in with GitHub",
      "Session management works"
    ],
    "estimatedHours": 8,
    "autoProcess": true
  },
  {
    "title": "Create user dashboard",
    "description": "Build responsive dashboard UI",
    "priority": "medium",
    "labels": ["frontend", "react"],
    "model": "ollama/codellama",
    "acceptanceCriteria": [
      "Dashboard shows user stats",
      "Responsive on mobile"
    ],
    "estimatedHours": 4,
    "autoProcess": false
  }
]`;

describe('parseNewTaskInputs', () => {
  it('accepts the original USAGE.md bulk file and each task round-trips to a file', () => {
    const res = parseNewTaskInputs(JSON.parse(USAGE_EXAMPLE));
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.tasks.map((t) => [t.title, t.priority, t.autoProcess])).toEqual([
      ['Add user authentication', 'high', true],
      ['Create user dashboard', 'medium', false],
    ]);
    const first = res.tasks[0]!;
    expect(first.acceptanceCriteria).toHaveLength(3);
    const text = serializeOriginalTask(first, '1');
    const parsed = parseOriginalTask(text, {
      fileName: taskFileName('1', first.title),
      extractRegex: 'task-(\\d+)',
    });
    expect(parsed.ok && parsed.task.labels).toEqual(['backend', 'security']);
    expect(parsed.ok && parsed.task.model).toBe('ollama/deepseek-coder');
  });

  it.each([
    ['single object', { title: 'One' }, [{ title: 'One', autoProcess: false }]],
    ['tasks wrapper', { tasks: [{ title: 'A' }] }, [{ title: 'A', autoProcess: false }]],
    [
      'priority case-insensitive',
      [{ title: 'A', priority: 'HIGH' }],
      [{ title: 'A', priority: 'high', autoProcess: false }],
    ],
    [
      'labels as comma text',
      [{ title: 'A', labels: 'a, b,,c' }],
      [{ title: 'A', labels: ['a', 'b', 'c'], autoProcess: false }],
    ],
    [
      'dependencies normalised',
      [{ title: 'A', dependencies: ['task-1', 2, 'TASK-1'] }],
      [{ title: 'A', dependencies: ['1', '2'], autoProcess: false }],
    ],
    [
      'criteria single text',
      [{ title: 'A', acceptanceCriteria: 'works' }],
      [{ title: 'A', acceptanceCriteria: ['works'], autoProcess: false }],
    ],
    [
      'hours as text',
      [{ title: 'A', estimatedHours: '2.5' }],
      [{ title: 'A', estimatedHours: 2.5, autoProcess: false }],
    ],
    [
      'status and id tolerated, dropped',
      [{ title: 'A', status: 'To Do', id: 4 }],
      [{ title: 'A', autoProcess: false }],
    ],
    ['nulls are absent', [{ title: 'A', model: null, priority: null }], [{ title: 'A', autoProcess: false }]],
    [
      'title trimmed',
      [{ title: '  A  ', repo: ' ../r ' }],
      [{ title: 'A', repo: '../r', autoProcess: false }],
    ],
  ])('%s', (_name, json, tasks) => {
    expect(parseNewTaskInputs(json)).toEqual({ ok: true, tasks });
  });

  it.each([
    [
      'not a list or object',
      3,
      [[undefined, 'expected a JSON array of tasks, or an object with a "tasks" array']],
    ],
    ['empty list', [], [[undefined, 'the task list is empty: add at least one task with a "title"']]],
    ['null item', [null], [['[0]', 'task 1 ([0]): each task must be an object with at least a "title"']]],
    [
      'missing title',
      { tasks: [{}] },
      [['tasks[0].title', 'task 1 (tasks[0].title): title is required (non-empty text)']],
    ],
    ['empty title', [{ title: ' ' }], [['[0].title', 'task 1 ([0].title): title must not be empty']]],
    [
      'bad priority at index 1',
      [{ title: 'A' }, { title: 'B', priority: 'urgent' }],
      [['[1].priority', 'task 2 ([1].priority): priority must be one of high, medium, low']],
    ],
    [
      'unknown field',
      [{ title: 'A', priorty: 'high' }],
      [['[0].priorty', 'task 1 ([0].priorty): unknown field "priorty"']],
    ],
    [
      'label item not text',
      [{ title: 'A', labels: ['ok', {}] }],
      [['[0].labels[1]', 'task 1 ([0].labels[1]): list items must be text']],
    ],
    [
      'labels a number map',
      [{ title: 'A', labels: { a: 1 } }],
      [['[0].labels', 'task 1 ([0].labels): must be a list of text items']],
    ],
    [
      'negative hours',
      [{ title: 'A', estimatedHours: -1 }],
      [['[0].estimatedHours', 'task 1 ([0].estimatedHours): estimatedHours must be 0 or more']],
    ],
    [
      'hours not numeric',
      [{ title: 'A', estimatedHours: 'many' }],
      [['[0].estimatedHours', 'task 1 ([0].estimatedHours): estimatedHours must be a number']],
    ],
    [
      'autoProcess text',
      [{ title: 'A', autoProcess: 'yes' }],
      [['[0].autoProcess', 'task 1 ([0].autoProcess): autoProcess must be true or false']],
    ],
    [
      'single object problem',
      { title: 'A', priority: 'x' },
      [['priority', 'task (priority): priority must be one of high, medium, low']],
    ],
  ])('%s', (_name, json, expected) => {
    const res = parseNewTaskInputs(json);
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.problems.map((p) => [p.field, p.message])).toEqual(expected);
  });

  it('reports problems of several tasks together', () => {
    const res = parseNewTaskInputs([{ title: '' }, { title: 'ok' }, { title: 'B', priority: 1 }]);
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.problems.map((p) => p.field)).toEqual(['[0].title', '[2].priority']);
  });
});
