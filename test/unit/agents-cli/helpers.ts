import type { AgentRunInput } from '../../../src/agents/types.js';
import type { Task } from '../../../src/tasks/types.js';
import { makeTask as baseTask } from '../../helpers/task.js';

export function makeTask(id = '42', over: Partial<Task> = {}): Task {
  return baseTask({ id, title: 'Add a greeting', description: 'Create hello.txt', ...over });
}

export function makeInput(workdir: string, over: Partial<AgentRunInput> = {}): AgentRunInput {
  return {
    task: makeTask(),
    workdir,
    model: 'qwen2.5-coder:7b',
    ollamaHost: 'http://127.0.0.1:11434',
    taskFile: `${workdir}/../task-42.md`,
    promptFile: `${workdir}/../prompt.md`,
    prompt: 'Create hello.txt',
    budget: { timeoutMs: 10_000 },
    signal: new AbortController().signal,
    ...over,
  };
}
