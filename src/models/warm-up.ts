import type { TaskSource } from '../intake/types.js';
import type { Task } from '../tasks/types.js';
import { canonicalModel, stripProvider } from './names.js';
import type { ModelClient, ModelEvent } from './types.js';

/** A host as warm-up sees it (`ModelRouter.hostClients()`). */
export interface WarmUpHost {
  url: string;
  client: ModelClient;
  /** The breaker admits calls. */
  available: boolean;
  /** From the host's model list; undefined while unknown. */
  serves(model: string): boolean | undefined;
}

/** Payload of the `model.warmed` event. */
export interface WarmedModel {
  host: string;
  model: string;
  ok: boolean;
  durationMs: number;
  error?: string;
}

export interface WarmUpOptions {
  /** `performance.warmUp.enabled`. */
  enabled: boolean;
  /** `performance.warmUp.maxModels`: most models loaded per warm-up (per host). */
  maxModels: number;
  /** `performance.warmUp.keepAlive`: how long Ollama keeps a warmed model. */
  keepAlive: string | number;
  /** Hosts and their clients, read at every warm-up (breaker states change). */
  hosts: () => WarmUpHost[];
  /**
   * The first model of each queued task's chain, in queue order; a model named by more tasks is
   * more needed. Empty: `defaultModel` is warmed.
   */
  neededModels: () => Promise<string[]>;
  /** `ollama.defaultModel`. */
  defaultModel: string | undefined;
  onWarmed?: (event: WarmedModel) => void;
  /** Warm-up never throws; what went wrong outside a load (reading the queue) lands here. */
  onError?: (err: unknown) => void;
}

/** Models most needed first (by how many tasks name them, ties by queue order), at most `max`. */
export function rankModels(
  firstModels: readonly string[],
  defaultModel: string | undefined,
  max: number,
): string[] {
  const counts = new Map<string, { model: string; count: number; order: number }>();
  for (const raw of firstModels) {
    if (!raw?.trim()) continue;
    const key = canonicalModel(raw);
    const seen = counts.get(key);
    if (seen) seen.count++;
    else counts.set(key, { model: stripProvider(raw), count: 1, order: counts.size });
  }
  if (counts.size === 0 && defaultModel?.trim()) return max > 0 ? [stripProvider(defaultModel)] : [];
  return [...counts.values()]
    .sort((a, b) => b.count - a.count || a.order - b.order)
    .slice(0, Math.max(0, max))
    .map((e) => e.model);
}

const PRIORITY_RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3 };

/**
 * The first model of each task the queue holds: resumed tasks (doing/) first, then pending ones
 * by priority, as the queue will start them. Unreadable task files are skipped.
 */
export async function queuedFirstModels(
  source: Pick<TaskSource, 'listPending' | 'listInProgress' | 'read'>,
  chainFor: (task: Task) => readonly string[],
): Promise<string[]> {
  const readAll = async (files: string[]) =>
    (await Promise.all(files.map((f) => source.read(f).catch(() => undefined)))).flatMap((r) =>
      r?.ok ? [r.task] : [],
    );
  const [doing, pending] = await Promise.all([
    source.listInProgress().then(readAll),
    source.listPending().then(readAll),
  ]);
  pending.sort((a, b) => (PRIORITY_RANK[a.priority] ?? 9) - (PRIORITY_RANK[b.priority] ?? 9));
  return [...doing, ...pending].flatMap((t) => {
    try {
      return chainFor(t).slice(0, 1);
    } catch {
      // One task whose chain cannot be worked out must not cost the others their warm-up.
      return [];
    }
  });
}

/**
 * Preloads the models the queue will need, so the first task does not pay the load time (tens
 * of seconds for a large model). Runs beside intake, never in its way: `trigger` returns at once,
 * a failed load is an event, not an error. Loads go to hosts whose breaker admits calls and that
 * serve the model, one at a time per host (parallel loads on one GPU only compete), and bypass
 * the breakers: a failed preload must not count against a host.
 */
export class ModelWarmUp {
  private readonly running = new Set<Promise<unknown>>();
  private readonly inFlight = new Set<string>();
  private readonly stopping = new AbortController();

  constructor(private readonly options: WarmUpOptions) {}

  /** Starts a warm-up in the background (all hosts, or only `host`). */
  trigger(host?: string): void {
    if (!this.options.enabled || this.options.maxModels <= 0 || this.stopping.signal.aborted) return;
    const run = this.run(host).catch((err) => this.options.onError?.(err));
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  /** Forwarded model events: a host whose breaker closed gets its models back. */
  handleEvent(event: ModelEvent | { type: string }): void {
    if (event.type === 'breaker.closed' && 'host' in event && typeof event.host === 'string') {
      this.trigger(event.host);
    }
  }

  /** Settles when every warm-up started so far has finished (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Aborts loads in progress; later triggers do nothing. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.idle();
  }

  /** One warm-up; resolves with what was loaded (or failed). Never rejects. */
  async run(onlyHost?: string): Promise<WarmedModel[]> {
    const needed = await this.options.neededModels().catch((err: unknown) => {
      this.options.onError?.(err);
      return [] as string[];
    });
    const models = rankModels(needed, this.options.defaultModel, this.options.maxModels);
    const hosts = this.options.hosts().filter((h) => h.available && (!onlyHost || h.url === onlyHost));
    const perHost = await Promise.all(hosts.map((h) => this.warmHost(h, models)));
    return perHost.flat();
  }

  private async warmHost(host: WarmUpHost, models: string[]): Promise<WarmedModel[]> {
    const load = host.client.load?.bind(host.client);
    if (!load) return [];
    let listed: Set<string> | undefined;
    const serves = async (model: string) => {
      const known = host.serves(model);
      if (known !== undefined) return known;
      // The router has not listed this host yet: ask once, instead of loading blindly.
      listed ??= new Set(
        (await host.client.list(this.stopping.signal).catch(() => [])).map((m) => canonicalModel(m.name)),
      );
      return listed.has(canonicalModel(model));
    };
    const out: WarmedModel[] = [];
    for (const model of models) {
      if (this.stopping.signal.aborted) break;
      const key = `${host.url} ${canonicalModel(model)}`;
      if (this.inFlight.has(key) || !(await serves(model))) continue;
      this.inFlight.add(key);
      const started = Date.now();
      let event: WarmedModel;
      try {
        await load(model, this.options.keepAlive, this.stopping.signal);
        event = { host: host.url, model: canonicalModel(model), ok: true, durationMs: Date.now() - started };
      } catch (err) {
        event = {
          host: host.url,
          model: canonicalModel(model),
          ok: false,
          durationMs: Date.now() - started,
          error: err instanceof Error ? err.message : String(err),
        };
      } finally {
        this.inFlight.delete(key);
      }
      out.push(event);
      try {
        this.options.onWarmed?.(event);
      } catch {
        // An observer must not stop the warm-up.
      }
    }
    return out;
  }
}
