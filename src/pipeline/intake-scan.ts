import type { TaskSource } from '../intake/types.js';

/**
 * A source that can index every task file once for a start-up scan (`FolderSource`): its
 * duplicate and dependency look-ups then read the index instead of listing every folder per file.
 */
export interface ScanIndexed {
  openScan(): Promise<void>;
  closeScan(): void;
}

/** The scan index of `source`, when it has one. */
export function scanIndexOf(source: TaskSource): ScanIndexed | undefined {
  const s = source as TaskSource & Partial<ScanIndexed>;
  return typeof s.openScan === 'function' && typeof s.closeScan === 'function'
    ? (s as TaskSource & ScanIndexed)
    : undefined;
}

/** Runs `fn` over `items` with at most `limit` at once (file reads of a large backlog). */
export async function eachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
