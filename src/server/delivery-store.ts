/** Options of {@link createMemoryDeliveryStore}. */
export interface MemoryDeliveryStoreOptions {
  /** Keys kept at most; the oldest go first. Default 10,000. */
  maxEntries?: number;
  /** How long a key counts as seen. Default 24 h (forges stop retrying well before). */
  ttlMs?: number;
  /** Clock, injectable for tests. */
  now?: () => number;
}

/** A replay store: `seen` answers "was this delivery processed?" and records it. */
export interface DeliveryStore {
  seen(key: string): boolean;
  forget(key: string): void;
  readonly size: number;
}

/**
 * The default replay store: bounded and in memory, so it protects a running server but not
 * across restarts. A `Map` keeps insertion order, which makes evicting the oldest key cheap;
 * that is all an LRU library would add here.
 */
export function createMemoryDeliveryStore(options: MemoryDeliveryStoreOptions = {}): DeliveryStore {
  const maxEntries = options.maxEntries ?? 10_000;
  const ttlMs = options.ttlMs ?? 24 * 60 * 60 * 1000;
  const now = options.now ?? Date.now;
  const expiries = new Map<string, number>();

  function evict(at: number): void {
    for (const [key, expiry] of expiries) {
      if (expiry > at && expiries.size <= maxEntries) break;
      expiries.delete(key);
    }
  }

  return {
    seen(key) {
      const at = now();
      const expiry = expiries.get(key);
      if (expiry !== undefined && expiry > at) return true;
      expiries.delete(key);
      expiries.set(key, at + ttlMs);
      evict(at);
      return false;
    },
    forget(key) {
      expiries.delete(key);
    },
    get size() {
      return expiries.size;
    },
  };
}
