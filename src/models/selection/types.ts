import type { Task } from '../../tasks/types.js';

/** How a task's model chain is ordered (`modelSelection.strategy`). */
export type SelectionStrategy = 'fixed' | 'complexity' | 'history' | 'speed' | 'auto';

/** The classifier's size bucket; also the name of a `modelSelection.tiers` list. */
export type SizeBucket = 'small' | 'medium' | 'large';

/** What the selector decided for one task. */
export interface Selection {
  /** Models to try, in order (provider prefix stripped, one spelling per model). */
  chain: string[];
  strategy: SelectionStrategy;
  /** Task kinds the outcome is recorded under: `label:<x>` per label, and `size:<bucket>`. */
  kinds: string[];
  size: SizeBucket;
  /** One line: why `chain[0]` comes first ("chose X: history 14/16 on label:bug, p50 41 s"). */
  reason: string;
}

export interface SelectionContext {
  /** Epoch ms (history window); default the selector's clock. */
  now?: number;
  /**
   * Models that already failed this task in earlier runs (a retry): the chain starts one tier
   * above the most capable of them. Default: read from the store when `retry` is set.
   */
  failedModels?: string[];
  /** The run is a retry of a failed task: earlier failures are looked up in the store. */
  retry?: boolean;
}

/** Orders the models for a task. Synchronous: the store is embedded SQLite. */
export interface ModelSelector {
  choose(task: Task, ctx?: SelectionContext): Selection;
}

/**
 * What `speed` and `auto` need to know about hosts (the router's `hostClients()`); absent for
 * `command` agents, which do not talk to Ollama through the router.
 */
export interface HostView {
  hostClients(): Array<{ available: boolean; serves: (model: string) => boolean | undefined }>;
}
