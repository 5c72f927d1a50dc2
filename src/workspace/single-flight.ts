/**
 * A refresh that many callers may ask for at once, with at most one run in flight and one
 * pending. A caller must see a run that started after its request (a fetch must show the
 * remote as it was when the caller asked), so it joins such a run, or the pending one: a
 * burst of N requests during a run costs one more run, not N.
 */
export class SingleFlight<T> {
  private inFlight: { seq: number; at: number; promise: Promise<T> } | undefined;
  private pending: Promise<T> | undefined;
  private started = 0;

  /**
   * `joinWindowMs`: a run started this recently counts as started after the request. A git
   * fetch reads the remote's refs only after its process started (tens of ms), so the
   * requests of one burst share a run instead of the first going alone.
   */
  constructor(
    private readonly run: () => Promise<T>,
    private readonly joinWindowMs = 0,
  ) {}

  /** Marks the moment of a request; pass it to `request` after work that had to come first (a clone). */
  ticket(): number {
    return this.started;
  }

  /** A run that started after `since` (default: now). */
  request(since = this.started): Promise<T> {
    const f = this.inFlight;
    if (f && (f.seq > since || performance.now() - f.at <= this.joinWindowMs)) return f.promise;
    if (this.pending) return this.pending;
    if (!this.inFlight) return this.start();
    const after = this.inFlight.promise.catch(() => undefined);
    this.pending = after.then(() => {
      this.pending = undefined;
      return this.start();
    });
    return this.pending;
  }

  private start(): Promise<T> {
    const seq = ++this.started;
    const promise = this.run();
    this.inFlight = { seq, at: performance.now(), promise };
    const clear = () => {
      if (this.inFlight?.seq === seq) this.inFlight = undefined;
    };
    promise.then(clear, clear);
    return promise;
  }
}
