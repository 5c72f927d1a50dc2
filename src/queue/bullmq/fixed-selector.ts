import { canonicalModel } from '../../models/names.js';
import type { ModelSelector, Selection, SelectionStrategy } from '../../models/selection/index.js';
import { ANY_MODEL, type TaskJobData } from './contracts.js';

/**
 * The chain a worker runs for a job: the coordinator's choice (its selector has the store's
 * history) restricted to the models this worker serves, in the coordinator's order. When none
 * of them is served (a job routed by its first model to a queue this worker listens on, the
 * chain being spelt differently), the queue's own model is the chain.
 */
export function servedChain(
  chain: readonly string[],
  served: ReadonlySet<string>,
  queueModel: string,
): string[] {
  const kept = chain.filter((m) => served.has(canonicalModel(m)));
  if (kept.length > 0) return kept;
  return queueModel === ANY_MODEL ? [...chain] : [queueModel];
}

/** A selector that always answers with the job's selection (restricted to the served models). */
export class FixedSelector implements ModelSelector {
  private readonly selection: Selection;

  constructor(data: Pick<TaskJobData, 'selection'>, served: ReadonlySet<string>, queueModel: string) {
    const s = data.selection;
    this.selection = {
      chain: servedChain(s.chain, served, queueModel),
      strategy: s.strategy as SelectionStrategy,
      kinds: [...s.kinds],
      size: s.size as Selection['size'],
      reason: s.reason,
    };
  }

  choose(): Selection {
    return { ...this.selection, chain: [...this.selection.chain], kinds: [...this.selection.kinds] };
  }
}
