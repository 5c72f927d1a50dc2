import { describe, expect, it } from 'vitest';
import { createMemoryDeliveryStore } from '../../../src/server/index.js';

describe('createMemoryDeliveryStore', () => {
  it('answers false the first time and true afterwards', () => {
    const store = createMemoryDeliveryStore();
    expect(store.seen('github:a')).toBe(false);
    expect(store.seen('github:a')).toBe(true);
    expect(store.seen('gitea:a')).toBe(false);
  });

  it('forgets a key on request', () => {
    const store = createMemoryDeliveryStore();
    store.seen('k');
    store.forget('k');
    expect(store.seen('k')).toBe(false);
  });

  it('expires keys after the TTL', () => {
    let now = 1_000;
    const store = createMemoryDeliveryStore({ ttlMs: 100, now: () => now });
    store.seen('k');
    now += 99;
    expect(store.seen('k')).toBe(true);
    now += 1;
    expect(store.seen('k')).toBe(false);
  });

  it('keeps at most maxEntries, dropping the oldest', () => {
    const store = createMemoryDeliveryStore({ maxEntries: 3 });
    for (const k of ['a', 'b', 'c', 'd']) store.seen(k);
    expect(store.size).toBe(3);
    expect(store.seen('d')).toBe(true);
    expect(store.seen('a')).toBe(false);
  });

  it('drops expired keys while recording new ones', () => {
    let now = 0;
    const store = createMemoryDeliveryStore({ ttlMs: 10, now: () => now });
    for (let i = 0; i < 5; i++) store.seen(`old-${i}`);
    now = 20;
    store.seen('new');
    expect(store.size).toBe(1);
  });
});
