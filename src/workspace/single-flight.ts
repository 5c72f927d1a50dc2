/**
 * A refresh that many callers may ask for at once, with at most one run in flight and one
 * pending. A caller must see a run that started after its request (a fetch must show the
 * remote as it was when the caller asked), so it joins such a run, or the pending one: a
 * burst of N requests during a run costs one more run, not N.
 *
 * A caller may instead name a wall-clock moment (`freshSince`, ms since epoch): any run that
 * started at or after it will do, the last finished one included. A task admitted at t needs
 * the remote as of t or later, not as of its claim: the twenty tasks of a burst share one run.
 */
export class SingleFlight<T> {
  private inFlight: { seq: number; at: number; wall: number; promise: Promise<T> } | undefined;
  private pending: Promise<T> | undefined;
  private started = 0;
  private last: { wall: number; value: T } | undefined;

  /**
   * `joinWindowMs`: a run started this recently counts as started after the request. A git
   * fetch reads the remote's refs only after its process started (tens of ms), so the
   * requests of one burst share a run instead of the first going alone.
   */
  constructor(
    private readonly run: () => Promise<T>,
    private readonly joinWindowMs = 0,
    private readonly now: () => number = Date.now,
  ) {}

  /** Marks the moment of a request; pass it to `request` after work that had to come first (a clone). */
  ticket(): number {
    return this.started;
  }

  /**
   * A run that started after `since` (default: now), or, with `freshSince`, any run (finished
   * or in flight) that started at or after that wall-clock moment.
   */
  request(since = this.started, freshSince?: number): Promise<T> {
    const f = this.inFlight;
    if (freshSince !== undefined) {
      if (this.last && this.last.wall >= freshSince) return Promise.resolve(this.last.value);
      if (f && f.wall >= freshSince) return f.promise;
    }
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
    const wall = this.now();
    const promise = this.run();
    this.inFlight = { seq, at: performance.now(), wall, promise };
    const clear = () => {
      if (this.inFlight?.seq === seq) this.inFlight = undefined;
    };
    promise.then((value) => {
      // A slower older run must not replace what a newer one saw.
      if (!this.last || this.last.wall <= wall) this.last = { wall, value };
      clear();
    }, clear);
    return promise;
  }
}
