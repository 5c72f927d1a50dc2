import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/events/index.js';
import type { TpEvents } from '../../../src/events/types.js';
import {
  type ChatRequest,
  cacheKey,
  createResponseCache,
  hashInputs,
  OllamaModelClient,
  type ResponseCache,
} from '../../../src/models/index.js';
import { SqliteStore } from '../../../src/store/index.js';
import { type FakeOllama, startFakeOllama } from '../../fixtures/fake-ollama/index.js';

const MODEL = 'qwen2.5-coder:7b';
let fake: FakeOllama;
let client: OllamaModelClient;
let store: SqliteStore;
let events: EventBus;
let lookups: TpEvents['cache.lookup'][];
let clock: number;
let cache: ResponseCache;

const review = (content = 'review this diff'): ChatRequest => ({
  model: MODEL,
  messages: [
    { role: 'system', content: 'You review code.' },
    { role: 'user', content },
  ],
  format: { type: 'object', properties: { findings: { type: 'array' } } },
  options: { temperature: 0, seed: 42 },
});
const chats = () => fake.requestsTo('/api/chat').length;

beforeAll(async () => {
  fake = await startFakeOllama();
  client = new OllamaModelClient({
    host: fake.url,
    timeouts: { firstTokenMs: 2_000, idleMs: 2_000, totalMs: 10_000 },
  });
});
afterAll(() => fake.close());

beforeEach(() => {
  store = new SqliteStore(':memory:');
  events = new EventBus();
  lookups = [];
  events.on('cache.lookup', (e) => lookups.push(e));
  clock = 1_000_000;
  cache = createResponseCache({
    store,
    events,
    enabled: true,
    ttlMs: 60_000,
    maxEntries: 100,
    now: () => clock,
  });
  let n = 0;
  fake.setResponder(() => ({ content: `{"findings":[],"n":${++n}}` }));
});
afterEach(() => {
  store.close();
  fake.clearFaults();
  fake.clearRequests();
});

describe('response cache', () => {
  it('answers a repeated deterministic request from the store, with a hit event', async () => {
    const first = await cache.chat(client, review(), 'review', 'inputs-1');
    const second = await cache.chat(client, review(), 'review', 'inputs-1');
    expect(first.cached).toBe(false);
    expect(second.cached).toBe(true);
    expect(second.content).toBe(first.content);
    expect(second.model).toBe(first.model);
    expect(chats()).toBe(1);
    expect(lookups.map((l) => [l.purpose, l.hit])).toEqual([
      ['review', false],
      ['review', true],
    ]);
  });

  it('gives a streaming caller the cached text once', async () => {
    await cache.chat(client, review(), 'review');
    const seen: string[] = [];
    const hit = await cache.chat(client, { ...review(), onChunk: (c) => seen.push(c.content) }, 'review');
    expect(hit.cached).toBe(true);
    expect(seen).toEqual([hit.content]);
  });

  it('misses when the inputs hash, the messages, the options or the format differ', async () => {
    await cache.chat(client, review(), 'review', 'inputs-1');
    const variants: Array<[ChatRequest, string | undefined]> = [
      [review(), 'inputs-2'],
      [review(), undefined],
      [review('another diff'), 'inputs-1'],
      [{ ...review(), options: { temperature: 0, seed: 7 } }, 'inputs-1'],
      [{ ...review(), options: { temperature: 0, seed: 42, num_predict: 100 } }, 'inputs-1'],
      [{ ...review(), format: 'json' }, 'inputs-1'],
      [{ ...review(), numCtx: 2048 }, 'inputs-1'],
    ];
    for (const [req, inputs] of variants) {
      expect((await cache.chat(client, req, 'review', inputs)).cached).toBe(false);
    }
    expect(chats()).toBe(1 + variants.length);
  });

  it('ignores what does not shape the reply: option order, keep_alive, timeouts', async () => {
    await cache.chat(client, review(), 'review');
    const same = await cache.chat(
      client,
      { ...review(), options: { seed: 42, temperature: 0 }, keepAlive: '1m', timeouts: { totalMs: 9_000 } },
      'review',
    );
    expect(same.cached).toBe(true);
  });

  it('misses once the model digest changes (a re-pulled model), as /api/tags reports it', async () => {
    const short = createResponseCache({
      store,
      events,
      enabled: true,
      ttlMs: 60_000,
      maxEntries: 100,
      digestTtlMs: 1_000,
      now: () => clock,
    });
    await short.chat(client, review(), 'review');
    fake.removeModel(MODEL);
    fake.addModel({
      name: MODEL,
      contextLength: 32768,
      capabilities: ['completion', 'tools'],
      digest: 'f'.repeat(64),
    });
    try {
      // Within the digest memo the old digest is still trusted; after it, the new one is used.
      expect((await short.chat(client, review(), 'review')).cached).toBe(true);
      clock += 1_001;
      expect((await short.chat(client, review(), 'review')).cached).toBe(false);
      expect((await short.chat(client, review(), 'review')).cached).toBe(true);
    } finally {
      fake.removeModel(MODEL);
      fake.addModel({ name: MODEL, contextLength: 32768, capabilities: ['completion', 'tools', 'insert'] });
    }
    expect(cacheKey('a', review(), undefined)).not.toBe(cacheKey('b', review(), undefined));
  });

  it('sends non-deterministic requests straight to the model, without lookups', async () => {
    const warm = { ...review(), options: { temperature: 0.7, seed: 42 } };
    const noSeed = { ...review(), options: { temperature: 0 } };
    const noOptions = { ...review(), options: undefined };
    for (const req of [warm, warm, noSeed, noSeed, noOptions]) {
      expect((await cache.chat(client, req, 'review')).cached).toBe(false);
    }
    expect(chats()).toBe(5);
    expect(lookups).toEqual([]);
    expect(fake.requestsTo('/api/tags')).toHaveLength(0);
  });

  it('does nothing when disabled', async () => {
    const off = createResponseCache({ store, events, enabled: false, ttlMs: 60_000, maxEntries: 100 });
    await off.chat(client, review(), 'review');
    expect((await off.chat(client, review(), 'review')).cached).toBe(false);
    expect(chats()).toBe(2);
    expect(lookups).toEqual([]);
  });

  it('expires entries after ttlMs', async () => {
    await cache.chat(client, review(), 'review');
    clock += 59_999;
    expect((await cache.chat(client, review(), 'review')).cached).toBe(true);
    clock += 2;
    expect((await cache.chat(client, review(), 'review')).cached).toBe(false);
    expect(chats()).toBe(2);
  });

  it('keeps at most maxEntries, dropping the oldest', async () => {
    const small = createResponseCache({
      store,
      enabled: true,
      ttlMs: 60_000,
      maxEntries: 2,
      now: () => clock,
    });
    for (const text of ['a', 'b', 'c']) {
      clock += 1;
      await small.chat(client, review(text), 'review');
    }
    expect((await small.chat(client, review('c'), 'review')).cached).toBe(true);
    expect((await small.chat(client, review('b'), 'review')).cached).toBe(true);
    expect((await small.chat(client, review('a'), 'review')).cached).toBe(false);
  });

  it('never caches a failed call', async () => {
    fake.injectFault({ kind: 'status', status: 500, body: 'boom' }, { times: 1, paths: ['/api/chat'] });
    await expect(cache.chat(client, review(), 'review')).rejects.toMatchObject({ name: 'TpError' });
    fake.injectFault({ kind: 'cut-stream', afterChunks: 1 }, { times: 1, paths: ['/api/chat'] });
    await expect(cache.chat(client, review(), 'review')).rejects.toMatchObject({ name: 'TpError' });
    const ok = await cache.chat(client, review(), 'review');
    expect(ok.cached).toBe(false);
    expect((await cache.chat(client, review(), 'review')).cached).toBe(true);
  });

  it('never caches a reply cut by the length limit', async () => {
    fake.enqueueReply(MODEL, { content: '{"findings":[', doneReason: 'length' });
    const cut = await cache.chat(client, review(), 'review');
    expect(cut.doneReason).toBe('length');
    const again = await cache.chat(client, review(), 'review');
    expect(again.cached).toBe(false);
    expect(again.doneReason).toBe('stop');
  });

  it('does not cache when the model digest is unknown (not in /api/tags)', async () => {
    fake.injectFault({ kind: 'status', status: 500 }, { paths: ['/api/tags'] });
    await cache.chat(client, review(), 'review');
    expect((await cache.chat(client, review(), 'review')).cached).toBe(false);
    expect(chats()).toBe(2);
    expect(lookups).toEqual([]);
  });

  it('treats an unreadable stored entry as a miss', async () => {
    await cache.chat(client, review(), 'review', 'x');
    const digest = (await client.list()).find((m) => m.name === MODEL)?.digest;
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    store.cachePut(cacheKey(digest as string, review(), 'x'), '{"not":"a reply"}', {
      ttlMs: 60_000,
      maxEntries: 100,
      now: clock,
    });
    expect((await cache.chat(client, review(), 'review', 'x')).cached).toBe(false);
  });
});

describe('hashInputs', () => {
  it('depends on paths and contents, not on their order', () => {
    const a = hashInputs([
      { path: 'a.ts', content: 'x' },
      { path: 'b.ts', content: 'y' },
    ]);
    expect(
      hashInputs([
        { path: 'b.ts', content: 'y' },
        { path: 'a.ts', content: 'x' },
      ]),
    ).toBe(a);
    expect(
      hashInputs([
        { path: 'a.ts', content: 'x' },
        { path: 'b.ts', content: 'z' },
      ]),
    ).not.toBe(a);
    expect(
      hashInputs([
        { path: 'a.ts', content: 'xy' },
        { path: 'b.ts', content: '' },
      ]),
    ).not.toBe(a);
    expect(
      hashInputs([
        { path: 'a.ts', content: Buffer.from('x') },
        { path: 'b.ts', content: 'y' },
      ]),
    ).toBe(a);
  });
});
