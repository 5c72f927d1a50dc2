import type { Config } from '../config/index.js';
import type { Task } from '../tasks/types.js';

/** `ollama/deepseek-coder` → `deepseek-coder`: the original accepts provider-prefixed names. */
export function stripProvider(model: string): string {
  return model.replace(/^ollama\//, '');
}

/** Models to try for a task, in order: its own, its suggestions, the configured fallbacks, then the pool. */
export function modelChain(task: Task, config: Config): string[] {
  const ordered = [
    task.model ?? config.ollama.defaultModel,
    ...task.suggestedModels,
    ...config.ollama.fallbackModels,
  ];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const m of ordered) {
    const key = stripProvider(m);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(m);
    }
  }
  return out;
}
