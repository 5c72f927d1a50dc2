import type { Host, ProbeEndpoint } from './host.js';

export interface HealthCheckOptions {
  /** Config `ollama.healthCheck.enabled`. */
  enabled: boolean;
  /** Milliseconds between probes of one host (`interval`). */
  intervalMs: number;
  /** Milliseconds before a probe counts as failed (`timeout`). */
  timeoutMs: number;
  /** `/api/version` (cheapest) or `/api/tags` (also refreshes the model list). */
  endpoint: ProbeEndpoint;
}

/**
 * Probes every host periodically and feeds the outcomes to the host's breaker. Each host has
 * its own timer chain (the next probe is scheduled when the previous one ends, so a slow host
 * never accumulates overlapping probes). A breaker that turns HALF_OPEN is probed at once, and
 * again after each successful probe, so recovery does not wait for the next interval.
 */
export class HealthChecker {
  private readonly timers = new Map<Host, NodeJS.Timeout>();
  private readonly running = new Set<Promise<boolean>>();
  private readonly unsubscribe: Array<() => void> = [];
  private controller = new AbortController();
  private started = false;

  constructor(
    private readonly hosts: readonly Host[],
    private readonly options: HealthCheckOptions,
  ) {}

  /** Starts probing (first probe immediately). Does nothing when disabled or already started. */
  start(): void {
    if (!this.options.enabled || this.started) return;
    this.started = true;
    this.controller = new AbortController();
    for (const host of this.hosts) {
      this.unsubscribe.push(
        host.breaker.onTransition((t) => {
          if (t.to === 'HALF_OPEN') this.schedule(host, 0);
        }),
      );
      this.schedule(host, 0);
    }
  }

  /** Stops probing and waits for probes in flight to end (they are aborted). */
  async stop(): Promise<void> {
    this.started = false;
    for (const off of this.unsubscribe.splice(0)) off();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.controller.abort();
    await Promise.allSettled([...this.running]);
  }

  /** Probes every host once, now; resolves when all probes ended. */
  async checkAll(): Promise<void> {
    await Promise.all(this.hosts.map((h) => this.probe(h)));
  }

  private schedule(host: Host, delayMs: number): void {
    if (!this.started) return;
    clearTimeout(this.timers.get(host));
    const timer = setTimeout(() => {
      this.timers.delete(host);
      void this.probe(host).then((probed) => {
        if (this.timers.has(host)) return;
        // While HALF_OPEN, successive probes decide recovery; waiting a full interval between
        // them would keep a recovered host out of use for successThreshold × interval.
        const again = probed === true && host.breaker.state === 'HALF_OPEN';
        this.schedule(host, again ? 0 : this.options.intervalMs);
      });
    }, delayMs);
    timer.unref?.();
    this.timers.set(host, timer);
  }

  private probe(host: Host): Promise<boolean> {
    const p = host
      .probe(this.options.endpoint, this.options.timeoutMs, this.controller.signal)
      .catch(() => false); // Host.probe records failures itself; nothing may escape a timer.
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
    return p;
  }
}
