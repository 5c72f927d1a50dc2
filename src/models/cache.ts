import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalModel } from './names.js';
import type { ChatRequest, ChatResult, ModelClient } from './types.js';

/** The two store methods the cache needs (`Store` from src/store satisfies it). */
export interface CacheStore {
  cacheGet(key: string, now?: number): string | undefined;
  cachePut(key: string, value: string, options: { ttlMs: number; maxEntries: number; now?: number }): void;
}

/** Where `cache.lookup` goes (the app's `EventBus` satisfies it). */
export interface CacheEvents {
  emit(name: 'cache.lookup', payload: { purpose: string; hit: boolean; durationMs: number }): void;
}

export interface ResponseCacheOptions {
  store: CacheStore;
  events?: CacheEvents;
  /** `performance.cache.enabled`; when false every call goes to the client. */
  enabled: boolean;
  /** `performance.cache.ttlMs`. */
  ttlMs: number;
  /** `performance.cache.maxEntries`. */
  maxEntries: number;
  /** How long a model's digest from `/api/tags` is trusted. Default 60 s. */
  digestTtlMs?: number;
  /** Clock (tests). */
  now?: () => number;
}

/** A reply, and whether it came from the cache. */
export type CachedChatResult = ChatResult & { cached: boolean };

export interface ResponseCache {
  /**
   * `client.chat(request)`, answered from the store when the same deterministic request
   * (temperature 0 and a numeric seed) was answered before by the same model digest, with the
   * same `inputsHash` (a hash of the files the caller read, see `hashInputs`). Any other
   * request goes straight to the client. `purpose` labels the `cache.lookup` event
   * (e.g. `review`).
   */
  chat(
    client: ModelClient,
    request: ChatRequest,
    purpose: string,
    inputsHash?: string,
  ): Promise<CachedChatResult>;
}

/** What is stored: the reply without timing (a hit reports its own). */
const storedSchema = z.object({
  model: z.string(),
  content: z.string(),
  thinking: z.string().optional(),
  toolCalls: z.array(z.object({ name: z.string(), arguments: z.unknown() })),
  doneReason: z.string().optional(),
  promptTokens: z.number().optional(),
  completionTokens: z.number().optional(),
  numCtx: z.number(),
});

/** Bumped when the key's shape changes, so old entries are simply never found again. */
const KEY_VERSION = 1;

/** True when the reply can only be the same next time: temperature 0 and a fixed seed. */
export function isDeterministic(request: ChatRequest): boolean {
  const o = request.options ?? {};
  return o.temperature === 0 && typeof o.seed === 'number' && Number.isFinite(o.seed);
}

/**
 * A stable hash of the files a caller read (path and content), for `inputsHash`: a review of
 * the same diff against a different worktree must not reuse an old reply.
 */
export function hashInputs(files: ReadonlyArray<{ path: string; content: string | Buffer }>): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const body = typeof f.content === 'string' ? Buffer.from(f.content) : f.content;
    h.update(`${f.path}\0${body.length}\0`);
    h.update(body);
  }
  return h.digest('hex');
}

/** JSON with object keys sorted, so option order does not change the key. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/**
 * The cache key: the model's digest, everything in the request that shapes the reply, and the
 * inputs. Left out on purpose: signal, callbacks, timeouts and keep_alive, which do not.
 */
export function cacheKey(digest: string, request: ChatRequest, inputsHash: string | undefined): string {
  const material = {
    v: KEY_VERSION,
    digest,
    model: canonicalModel(request.model),
    messages: request.messages,
    tools: request.tools ?? null,
    format: request.format ?? null,
    options: request.options ?? {},
    numCtx: request.numCtx ?? null,
    inputsHash: inputsHash ?? null,
  };
  return createHash('sha256').update(canonicalJson(material)).digest('hex');
}

/**
 * A content-addressed cache of deterministic model replies in the store. A reply is stored only
 * when the call succeeded and ended normally (`done_reason` `stop`): a failed call, a reply cut
 * by the length limit or a load reply is never reused. When the model's digest cannot be
 * learnt, the call is not cached either: without it a re-pulled model would get stale replies.
 */
export function createResponseCache(options: ResponseCacheOptions): ResponseCache {
  const now = options.now ?? Date.now;
  const digestTtl = options.digestTtlMs ?? 60_000;
  const digests = new WeakMap<ModelClient, Map<string, { at: number; value: Promise<string | undefined> }>>();

  const digestOf = (
    client: ModelClient,
    model: string,
    signal?: AbortSignal,
  ): Promise<string | undefined> => {
    let perClient = digests.get(client);
    if (!perClient) {
      perClient = new Map();
      digests.set(client, perClient);
    }
    const name = canonicalModel(model);
    const known = perClient.get(name);
    if (known && now() - known.at < digestTtl) return known.value;
    const value = client
      .list(signal)
      .then((models) => models.find((m) => m.name === name)?.digest)
      .catch(() => undefined);
    const entry = { at: now(), value };
    perClient.set(name, entry);
    // An unknown digest is asked again next time instead of being remembered.
    void value.then((d) => {
      if (d === undefined && perClient.get(name) === entry) perClient.delete(name);
    });
    return value;
  };

  const emit = (purpose: string, hit: boolean, durationMs: number) => {
    try {
      options.events?.emit('cache.lookup', { purpose, hit, durationMs });
    } catch {
      // Metrics must not change a reply.
    }
  };

  return {
    async chat(client, request, purpose, inputsHash) {
      if (!options.enabled || !isDeterministic(request)) {
        return { ...(await client.chat(request)), cached: false };
      }
      const started = now();
      const digest = await digestOf(client, request.model, request.signal);
      if (!digest) return { ...(await client.chat(request)), cached: false };
      const key = cacheKey(digest, request, inputsHash);
      const hit = read(options.store, key, now());
      if (hit) {
        const durationMs = now() - started;
        emit(purpose, true, durationMs);
        // Streaming callers still see the text, once.
        request.onChunk?.({
          content: hit.content,
          ...(hit.thinking ? { thinking: hit.thinking } : {}),
          ...(hit.toolCalls.length ? { toolCalls: hit.toolCalls } : {}),
        });
        return { ...hit, durationMs, cached: true };
      }
      emit(purpose, false, now() - started);
      const result = await client.chat(request);
      if (result.doneReason === 'stop') {
        const { durationMs: _omit, ...stored } = result;
        try {
          options.store.cachePut(key, JSON.stringify(stored), {
            ttlMs: options.ttlMs,
            maxEntries: options.maxEntries,
            now: now(),
          });
        } catch {
          // A full disk or closed store costs the next hit, not this reply.
        }
      }
      return { ...result, cached: false };
    },
  };
}

type StoredReply = Omit<ChatResult, 'durationMs'>;

/** A stored reply under `key`, or undefined (also when the row is unreadable). */
function read(store: CacheStore, key: string, at: number): StoredReply | undefined {
  let raw: string | undefined;
  try {
    raw = store.cacheGet(key, at);
  } catch {
    return undefined;
  }
  if (raw === undefined) return undefined;
  try {
    const parsed = storedSchema.safeParse(JSON.parse(raw));
    if (!parsed.success) return undefined;
    const { doneReason, promptTokens, completionTokens, ...rest } = parsed.data;
    return { ...rest, doneReason, promptTokens, completionTokens };
  } catch {
    return undefined;
  }
}
