import { type ErrorCode, TpError } from '../errors/index.js';
import { type BreakerOptions, type BreakerPermit, CircuitBreaker } from './breaker.js';
import { classifyModelError, isHostFailure } from './classify-model-error.js';
import { canonicalModel } from './names.js';
import type { BreakerState, ModelClient, ModelEventListener } from './types.js';

/** One Ollama host as configured (`ollama.hosts[]`, or `ollama.host` alone). */
export interface HostConfig {
  url: string;
  /** Models routed to this host; when set, /api/tags is not consulted for routing. */
  models?: string[];
  /** Relative share of requests when several hosts serve a model. Default 1. */
  weight?: number;
}

/** What `GET /health/ollama` shows for one host. */
export interface HostHealth {
  url: string;
  state: BreakerState;
  /** Outcome of the last health probe; undefined before the first. */
  healthy: boolean | undefined;
  latencyMs: number | undefined;
  lastError: string | undefined;
  lastErrorCode: ErrorCode | undefined;
  /** Canonical model names from /api/tags (or the configured list); undefined if never listed. */
  models: string[] | undefined;
  lastCheckedAt: string | undefined;
  /** Milliseconds until an OPEN breaker admits a probe. */
  nextProbeInMs: number | undefined;
  weight: number;
}

export type ProbeEndpoint = '/api/tags' | '/api/version';

/**
 * Runtime state of one host: its client, breaker, known models and health statistics. Every
 * request to the host — real calls, model listings and health probes — passes its breaker, so
 * an OPEN host receives nothing until the cool-down ends.
 */
export class Host {
  readonly url: string;
  readonly weight: number;
  readonly breaker: CircuitBreaker;
  private readonly configured: Set<string> | undefined;
  private known: Set<string> | undefined;
  private knownAt = 0;
  private healthy: boolean | undefined;
  private latencyMs: number | undefined;
  private lastError: TpError | undefined;
  private lastCheckedAt: number | undefined;

  constructor(
    config: HostConfig,
    readonly client: ModelClient,
    breakerOptions: BreakerOptions,
    private readonly emit: ModelEventListener,
  ) {
    this.url = client.url;
    this.weight = config.weight ?? 1;
    this.configured = config.models ? new Set(config.models.map(canonicalModel)) : undefined;
    this.breaker = new CircuitBreaker(breakerOptions);
    this.breaker.onTransition((t) => {
      if (t.to === 'OPEN') {
        const err = t.error === undefined ? undefined : classifyModelError(t.error, { host: this.url });
        this.emit({
          type: 'breaker.opened',
          host: this.url,
          failures: t.failures,
          error: err?.message ?? 'unknown',
          code: err?.code,
        });
      } else if (t.to === 'HALF_OPEN') {
        this.emit({ type: 'breaker.half_open', host: this.url });
      } else {
        this.emit({ type: 'breaker.closed', host: this.url });
      }
    });
  }

  /** True / false when the host is known to serve / lack `model`; undefined when unknown. */
  serves(model: string): boolean | undefined {
    const name = canonicalModel(model);
    if (this.configured) return this.configured.has(name);
    return this.known ? this.known.has(name) : undefined;
  }

  /** True when the model list should be (re)read from /api/tags. */
  modelsStale(ttlMs: number): boolean {
    return !this.configured && (!this.known || Date.now() - this.knownAt >= ttlMs);
  }

  /** Forget that this host has `model` (it answered 404 for it). */
  forgetModel(model: string): void {
    this.known?.delete(canonicalModel(model));
  }

  /** Reports the outcome of a call made under `permit` to the breaker and the statistics. */
  settle(permit: BreakerPermit, error: TpError | undefined, signal?: AbortSignal): void {
    if (!error) {
      permit.success();
      return;
    }
    if (signal?.aborted && !isHostFailure(error)) {
      permit.release();
      return;
    }
    if (isHostFailure(error)) {
      this.lastError = error;
      permit.failure(error);
    } else {
      // The host answered (404, 400, …): it is alive, whatever the request's fate.
      permit.success();
    }
  }

  /** Reads /api/tags through the breaker; does nothing when the breaker does not admit a call. */
  async refreshModels(signal?: AbortSignal): Promise<void> {
    const permit = this.breaker.tryAcquire();
    if (!permit) return;
    try {
      const list = await this.client.list(signal);
      this.known = new Set(list.map((m) => m.name));
      this.knownAt = Date.now();
      this.settle(permit, undefined);
    } catch (err) {
      this.settle(permit, classifyModelError(err, { host: this.url }), signal);
    }
  }

  /**
   * One health probe through the breaker, bounded by `timeoutMs`. Skipped (returns false) while
   * the breaker is OPEN or its HALF_OPEN probes are taken, so a dead host sees no traffic.
   */
  async probe(endpoint: ProbeEndpoint, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const permit = this.breaker.tryAcquire();
    if (!permit) return false;
    const controller = new AbortController();
    const timer = setTimeout(
      () =>
        controller.abort(
          new TpError(`Ollama ${this.url}: health probe got no answer within ${timeoutMs} ms`, {
            code: 'TIMEOUT',
            retryable: true,
            details: { host: this.url, timeoutMs },
          }),
        ),
      timeoutMs,
    );
    const combined = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
    const started = Date.now();
    let error: TpError | undefined;
    try {
      if (endpoint === '/api/tags') {
        const list = await this.client.list(combined);
        this.known = new Set(list.map((m) => m.name));
        this.knownAt = Date.now();
      } else {
        await this.client.version(combined);
      }
      this.latencyMs = Date.now() - started;
    } catch (err) {
      error = classifyModelError(controller.signal.aborted ? controller.signal.reason : err, {
        host: this.url,
      });
    } finally {
      clearTimeout(timer);
    }
    this.lastCheckedAt = Date.now();
    this.settle(permit, error, signal);
    if (signal?.aborted) return true;
    const healthy = error === undefined;
    if (error) this.lastError = error;
    if (healthy !== this.healthy) {
      this.healthy = healthy;
      if (error)
        this.emit({ type: 'host.unhealthy', host: this.url, error: error.message, code: error.code });
      else
        this.emit({
          type: 'host.healthy',
          host: this.url,
          latencyMs: this.latencyMs ?? 0,
          models: this.known ? [...this.known] : undefined,
        });
    }
    return true;
  }

  report(): HostHealth {
    const state = this.breaker.state;
    const models = this.configured ?? this.known;
    return {
      url: this.url,
      state,
      healthy: this.healthy,
      latencyMs: this.latencyMs,
      lastError: this.lastError?.message,
      lastErrorCode: this.lastError?.code,
      models: models ? [...models].sort() : undefined,
      lastCheckedAt:
        this.lastCheckedAt === undefined ? undefined : new Date(this.lastCheckedAt).toISOString(),
      nextProbeInMs: state === 'OPEN' ? this.breaker.msUntilHalfOpen : undefined,
      weight: this.weight,
    };
  }
}

/**
 * Hosts from the `ollama` config section: `hosts` when given, else the single `host`
 * (which the config loader has already overridden with `OLLAMA_HOST` when set).
 */
export function hostsFromConfig(ollama: { host: string; hosts: readonly HostConfig[] }): HostConfig[] {
  return ollama.hosts.length > 0 ? ollama.hosts.map((h) => ({ ...h })) : [{ url: ollama.host }];
}
