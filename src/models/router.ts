import { type FailureAttempt, TpError } from '../errors/index.js';
import type { BreakerOptions, BreakerPermit } from './breaker.js';
import { classifyModelError, isHostFailure } from './classify-model-error.js';
import {
  type FallbackResult,
  failedAttempts,
  type ModelAttempt,
  type RouterEvent,
  type SkippedModel,
} from './fallback.js';
import { HealthChecker, type HealthCheckOptions } from './health.js';
import { Host, type HostConfig, type HostHealth } from './host.js';
import { canonicalModel, stripProvider } from './names.js';
import { type OllamaClientOptions, OllamaModelClient } from './ollama-client.js';
import {
  allSkipped,
  describeLists,
  notFound,
  record,
  summarise,
  type TriedModel,
  withAttempts,
} from './outcome.js';
import { backoffSchedule, type RetryOptions, sleep } from './retry.js';
import type { ChatRequest, ChatResult, ModelClient } from './types.js';
import { abortReason, describeWait, waitForChange } from './wait-reason.js';

export interface ModelRouterOptions {
  hosts: HostConfig[];
  breaker: BreakerOptions;
  healthCheck: HealthCheckOptions;
  retry: RetryOptions;
  /** How long a call may wait for an OPEN host (config `ollama.healthCheck.maxWaitMs`). */
  maxWaitMs: number;
  /** How long a host's /api/tags answer is trusted for routing. Default 60 s. */
  modelsTtlMs?: number;
  /** Options for the default Ollama clients (timeouts, numCtx, keepAlive, fetch). */
  client?: Omit<OllamaClientOptions, 'host'>;
  /** Replaces the default `OllamaModelClient` (tests, other backends). */
  createClient?: (url: string) => ModelClient;
  /** Every event of the router: breakers, health, retries, waits, fallbacks, skipped models. */
  onEvent?: (event: RouterEvent) => void;
  /** Called as every attempt of every run ends (e.g. to emit `attempt.failed` on the EventBus). */
  onAttempt?: (attempt: ModelAttempt, taskId: string | undefined) => void;
  /** Random source in [0, 1) for weighted host choice and jitter. */
  random?: () => number;
}

/** What a fallback step's function receives. */
export interface AttemptContext {
  /** Model name without provider prefix, as Ollama should receive it. */
  model: string;
  host: string;
  client: ModelClient;
  signal: AbortSignal;
  attemptNumber: number;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Called as each attempt ends (success or failure), e.g. to emit `attempt.failed`. */
  onAttempt?: (attempt: ModelAttempt) => void;
  /** Attached to the thrown error (`TpError.taskId`). */
  taskId?: string;
  /** Overrides `maxWaitMs` for this run: the total time the whole chain may wait for hosts. */
  maxWaitMs?: number;
}

interface Lease {
  host: Host;
  permit: BreakerPermit;
}

/**
 * Routes model calls to Ollama hosts: picks a host that serves the model and whose breaker
 * admits calls (weighted among CLOSED hosts, HALF_OPEN ones only as a last resort), waits while
 * every candidate is OPEN, retries transient failures with backoff, and falls back along a
 * chain of models. Failures caused by an outage are absorbed by waiting, not counted as retries:
 * a task does not fail because Ollama had a bad minute, only when `maxWaitMs` runs out.
 */
export class ModelRouter {
  private readonly hosts: Host[];
  private readonly health: HealthChecker;
  private readonly waiting = new Map<symbol, { model: string; since: number }>();
  private readonly random: () => number;
  private readonly emitEvent: (event: RouterEvent) => void;

  constructor(private readonly options: ModelRouterOptions) {
    if (options.hosts.length === 0) {
      throw new TpError('No Ollama host configured', {
        code: 'CONFIG_INVALID',
        hint: 'Set ollama.host (or OLLAMA_HOST) or ollama.hosts.',
      });
    }
    this.random = options.random ?? Math.random;
    this.emitEvent = (e: RouterEvent) => {
      try {
        options.onEvent?.(e);
      } catch {
        // A failing listener must not break routing.
      }
    };
    const create =
      options.createClient ?? ((url: string) => new OllamaModelClient({ ...options.client, host: url }));
    this.hosts = options.hosts.map((h) => new Host(h, create(h.url), options.breaker, this.emitEvent));
    this.health = new HealthChecker(this.hosts, options.healthCheck);
  }

  /** Starts periodic health checks (when enabled). */
  start(): void {
    this.health.start();
  }

  /** Stops health checks and breaker timers. Calls in progress are not aborted. */
  async stop(): Promise<void> {
    await this.health.stop();
    for (const h of this.hosts) h.breaker.dispose();
  }

  /** Probes every host once, now (also what `start()` does first). */
  checkHealth(): Promise<void> {
    return this.health.checkAll();
  }

  /**
   * Every host with its client, for work beside routed calls (warm-up). `available`: the
   * breaker admits calls; `serves(model)`: true/false from the host's model list, undefined
   * while that list is unknown.
   */
  hostClients(): Array<{
    url: string;
    client: ModelClient;
    available: boolean;
    serves: (model: string) => boolean | undefined;
  }> {
    return this.hosts.map((h) => ({
      url: h.url,
      client: h.client,
      available: h.breaker.available,
      serves: (model: string) => h.serves(model),
    }));
  }

  /** Data for `GET /health/ollama`. */
  healthReport(): HostHealth[] {
    return this.hosts.map((h) => h.report());
  }

  /** Why calls are waiting right now (for `status`), or undefined when none waits. */
  waitingReason(): string | undefined {
    const models = [...new Set([...this.waiting.values()].map((w) => w.model))];
    if (models.length === 0) return undefined;
    return models.map((m) => describeWait(m, this.candidates(m))).join('; ');
  }

  /** Streams one chat through `runWithFallback`. */
  chat(chain: readonly string[], request: Omit<ChatRequest, 'model'>, options: RunOptions = {}) {
    return this.runWithFallback<ChatResult>(
      chain,
      ({ client, model, signal }) => client.chat({ ...request, model, signal }),
      options,
    );
  }

  /**
   * `runWithFallback` in the shape of the pipeline's `AttemptRunner`: `attempts` lists the failed
   * attempts only (what error.json records) and `host` is the host that succeeded.
   */
  async run<T>(
    chain: string[],
    fn: (ctx: AttemptContext) => Promise<T>,
    opts: { taskId: string; signal: AbortSignal; onAttempt?: (attempt: ModelAttempt) => void },
  ): Promise<{ result: T; modelUsed: string; host: string; attempts: FailureAttempt[] }> {
    try {
      const r = await this.runWithFallback(chain, fn, opts);
      return {
        result: r.result,
        modelUsed: r.modelUsed,
        host: r.hostUsed,
        attempts: failedAttempts(r.attempts),
      };
    } catch (err) {
      const e = classifyModelError(err);
      throw new TpError(e.message, {
        code: e.code,
        retryable: e.retryable,
        hint: e.hint,
        taskId: opts.taskId,
        cause: e.cause ?? e,
        details: { ...e.details, attempts: e.details.attempts ?? [] },
      });
    }
  }

  /**
   * Tries each model of `chain` in order (with retries per model) until `fn` succeeds. A model
   * that no host has, by every host's fresh model list, is left out with a `model.skipped`
   * event and no attempt. Every call is recorded in `attempts`; when all models fail, the
   * thrown `TpError` leads with the first real failure and carries every attempt in
   * `details.attempts` (see `summarise`); MODEL_NOT_FOUND only when every model was missing.
   */
  async runWithFallback<T>(
    chain: readonly string[],
    fn: (ctx: AttemptContext) => Promise<T>,
    options: RunOptions = {},
  ): Promise<FallbackResult<T>> {
    const models = chain.map(stripProvider);
    if (models.length === 0) {
      throw new TpError('No model to try', { code: 'CONFIG_INVALID', hint: 'Set ollama.defaultModel.' });
    }
    const attempts: ModelAttempt[] = [];
    const deadline = Date.now() + (options.maxWaitMs ?? this.options.maxWaitMs);
    const tried: TriedModel[] = [];
    const skipped: SkippedModel[] = [];
    for (const [i, model] of models.entries()) {
      const reason = await this.missingEverywhere(model, options.signal);
      if (reason) {
        skipped.push({ model, reason });
        this.emitEvent({ type: 'model.skipped', model, reason });
        continue;
      }
      try {
        const { result, host } = await this.runOnModel(model, fn, attempts, deadline, options);
        return { result, modelUsed: model, hostUsed: host, attempts };
      } catch (err) {
        const error = classifyModelError(err, { model });
        tried.push({ model, error });
        if (error.code === 'ABORTED' || options.signal?.aborted)
          throw withAttempts(error, attempts, options.taskId);
        const next = models[i + 1];
        if (next)
          this.emitEvent({
            type: 'model.fallback',
            from: model,
            to: next,
            code: error.code,
            error: error.message,
          });
      }
    }
    if (tried.length === 0) throw allSkipped(models, this.hosts, options.taskId);
    throw summarise(models, tried, skipped, attempts, options.taskId);
  }

  /**
   * Why `model` can be left out, or undefined when some host has it or might: every host's
   * list must be known (configured, or read from /api/tags within the TTL while the host is
   * not OPEN) and lack it. A host we cannot ask keeps the model in the chain.
   */
  private async missingEverywhere(
    model: string,
    signal: AbortSignal | undefined,
  ): Promise<string | undefined> {
    const ttl = await this.refreshStale(signal);
    const known = (h: Host) => !h.modelsStale(ttl) && h.breaker.state !== 'OPEN';
    if (!this.hosts.every((h) => known(h) && h.serves(model) === false)) return undefined;
    return `not installed on any host (${describeLists(this.hosts)})`;
  }

  /** Re-reads the stale model lists of hosts whose breaker admits a call; returns the TTL. */
  private async refreshStale(signal: AbortSignal | undefined): Promise<number> {
    const ttl = this.options.modelsTtlMs ?? 60_000;
    await Promise.all(
      this.hosts.filter((h) => h.modelsStale(ttl) && h.breaker.available).map((h) => h.refreshModels(signal)),
    );
    return ttl;
  }

  /** Calls `fn` on one model with retries; waits for hosts while they are OPEN. */
  private async runOnModel<T>(
    model: string,
    fn: (ctx: AttemptContext) => Promise<T>,
    attempts: ModelAttempt[],
    deadline: number,
    options: RunOptions,
  ): Promise<{ result: T; host: string }> {
    const signal = options.signal;
    const note = (a: ModelAttempt) => {
      attempts.push(a);
      try {
        this.options.onAttempt?.(a, options.taskId);
        options.onAttempt?.(a);
      } catch {
        // An observer must not change the outcome.
      }
    };
    const nextDelay = backoffSchedule({
      ...this.options.retry,
      random: this.options.retry.random ?? this.random,
    });
    const callSignal = signal ?? new AbortController().signal;
    let counted = 0;
    for (;;) {
      const startedAt = Date.now();
      let lease: Lease | undefined;
      try {
        lease = await this.acquire(model, deadline, signal);
        const result = await fn({
          model,
          host: lease.host.url,
          client: lease.host.client,
          signal: callSignal,
          attemptNumber: attempts.length + 1,
        });
        lease.host.settle(lease.permit, undefined);
        note(record(model, lease.host.url, attempts.length + 1, startedAt));
        return { result, host: lease.host.url };
      } catch (err) {
        const error = classifyModelError(err, { model, ...(lease ? { host: lease.host.url } : {}) });
        if (lease) {
          lease.host.settle(lease.permit, error, signal);
          if (error.code === 'MODEL_NOT_FOUND') lease.host.forgetModel(model);
        }
        note(record(model, lease?.host.url, attempts.length + 1, startedAt, error));
        if (signal?.aborted || !error.retryable || error.code === 'CIRCUIT_OPEN') throw error;
        // The host is now OPEN: the outage is the breaker's business, so wait (acquire) instead
        // of spending a retry. Another host serving the model is used at once if there is one.
        if (lease && isHostFailure(error) && !lease.host.breaker.available) continue;
        counted++;
        if (counted >= this.options.retry.maxAttempts) throw error;
        const delayMs = nextDelay();
        this.emitEvent({
          type: 'model.retry',
          model,
          host: lease?.host.url,
          attempt: counted,
          delayMs,
          code: error.code,
          error: error.message,
        });
        await sleep(delayMs, signal);
      }
    }
  }

  /** Hosts that serve `model` or might (model list unknown). */
  private candidates(model: string): Host[] {
    return this.hosts.filter((h) => h.serves(model) !== false);
  }

  /** A host for `model` with a breaker permit, waiting while every candidate is unavailable. */
  private async acquire(model: string, deadline: number, signal: AbortSignal | undefined): Promise<Lease> {
    const key = Symbol(model);
    try {
      for (;;) {
        if (signal?.aborted) throw abortReason(signal);
        await this.refreshStale(signal);
        const candidates = this.candidates(model);
        if (candidates.length === 0) throw notFound(model, this.hosts);
        const lease = this.pick(candidates);
        if (lease) return lease;
        if (Date.now() >= deadline) {
          throw new TpError(`Gave up waiting for an Ollama host: ${describeWait(model, candidates)}`, {
            code: 'CIRCUIT_OPEN',
            retryable: true,
            details: { model: canonicalModel(model), hosts: candidates.map((h) => h.url) },
            hint: 'Check that the Ollama hosts are running; the task can be retried with `retry-failed`.',
          });
        }
        if (!this.waiting.has(key)) {
          this.waiting.set(key, { model: stripProvider(model), since: Date.now() });
          this.emitEvent({ type: 'model.waiting', model, reason: describeWait(model, candidates) });
        }
        await waitForChange(candidates, deadline, signal);
      }
    } finally {
      this.waiting.delete(key);
    }
  }

  /**
   * Weighted random choice among CLOSED hosts. HALF_OPEN hosts take real calls only when no
   * health checker probes them: otherwise a whole agent run (minutes on a real model) would
   * be the recovery probe, and `successThreshold` of them in a row would hold recovery back.
   */
  private pick(candidates: Host[]): Lease | undefined {
    const closed = candidates.filter((h) => h.breaker.state === 'CLOSED');
    const probing = this.options.healthCheck.enabled !== false;
    const pool = closed.length > 0 || probing ? closed : candidates.filter((h) => h.breaker.available);
    const total = pool.reduce((s, h) => s + h.weight, 0);
    const ordered = [...pool];
    let r = this.random() * total;
    let chosen = ordered[ordered.length - 1];
    for (const h of ordered) {
      r -= h.weight;
      if (r < 0) {
        chosen = h;
        break;
      }
    }
    // Try the weighted choice first, then the rest: a permit can only be refused when probes
    // are all taken, and another host may still have one.
    for (const h of chosen ? [chosen, ...ordered.filter((x) => x !== chosen)] : []) {
      const permit = h.breaker.tryAcquire();
      if (permit) return { host: h, permit };
    }
    return undefined;
  }
}
