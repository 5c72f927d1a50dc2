import type { Task } from '../../src/tasks/types.js';

/** A parsed task for tests and benchmarks: every field present, overridden by `over`. */
export function makeTask(over: Partial<Task> = {}): Task {
  return {
    id: '42',
    title: 'A task',
    status: undefined,
    priority: 'medium',
    model: undefined,
    suggestedModels: [],
    description: 'Change something.',
    acceptanceCriteria: [],
    labels: [],
    dependencies: [],
    estimatedHours: undefined,
    assignee: undefined,
    createdAt: undefined,
    repo: undefined,
    baseBranch: undefined,
    body: '',
    format: 'folders',
    ...over,
  };
}
