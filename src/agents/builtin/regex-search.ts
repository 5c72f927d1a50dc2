import { Worker } from 'node:worker_threads';

/**
 * The model's regular expressions run in a worker thread with a deadline. JavaScript's regex
 * engine backtracks, so a pattern like `^(a+)+$` on a line of 40 `a`s would run for days; on
 * the main thread it would stall every timer, stream and health check of the service. A worker
 * can be terminated mid-match (V8 interrupts regex execution), so the search ends on time and
 * the model is told why. (A linear-time engine, `re2`, needs a native build here that takes
 * minutes, so it is not a dependency.)
 */

/** Thrown when the deadline passes before the search is done. */
export class RegexTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`search timed out after ${timeoutMs} ms`);
    this.name = 'RegexTimeout';
  }
}

/** Inline source, so the same code runs from `src/` (tests, tsx) and from `dist/`. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const re = new RegExp(workerData.pattern, workerData.flags);
parentPort.on('message', ({ id, text, limit, maxLine }) => {
  const lines = text.split('\\n');
  const hits = [];
  for (let i = 0; i < lines.length && hits.length < limit; i++) {
    const line = lines[i];
    if (line.length <= maxLine && re.test(line)) hits.push(i);
  }
  parentPort.postMessage({ id, hits });
});
`;

export interface RegexMatcherOptions {
  /** Budget for the whole search, from construction. */
  timeoutMs: number;
  /** Lines longer than this are skipped (minified files). Default 2000. */
  maxLineLength?: number;
}

/**
 * One search: a worker holding the compiled pattern, fed one file at a time. Call `close()`
 * when done (also after a timeout, which has already terminated the worker).
 */
export class RegexMatcher {
  private readonly worker: Worker;
  private readonly deadline: number;
  private readonly maxLine: number;
  private nextId = 0;
  private failed: Error | undefined;

  /** Throws a `SyntaxError` for an invalid pattern (checked here, before a worker is started). */
  constructor(
    pattern: string,
    flags: string,
    private readonly opts: RegexMatcherOptions,
  ) {
    new RegExp(pattern, flags);
    this.deadline = Date.now() + opts.timeoutMs;
    this.maxLine = opts.maxLineLength ?? 2_000;
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { pattern, flags } });
    this.worker.unref();
    this.worker.on('error', (err) => {
      this.failed = err;
    });
  }

  /** Indexes (0-based) of the matching lines of `text`, at most `limit`. */
  matchLines(text: string, limit: number): Promise<number[]> {
    if (this.failed) return Promise.reject(this.failed);
    const remaining = this.deadline - Date.now();
    if (remaining <= 0) return this.timeout();
    const id = this.nextId++;
    return new Promise<number[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        this.timeout().catch(reject);
      }, remaining);
      const onMessage = (m: { id: number; hits: number[] }) => {
        if (m.id !== id) return;
        cleanup();
        resolve(m.hits);
      };
      const onError = (err: Error) => {
        cleanup();
        reject(err);
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.worker.off('message', onMessage);
        this.worker.off('error', onError);
      };
      this.worker.on('message', onMessage);
      this.worker.on('error', onError);
      this.worker.postMessage({ id, text, limit, maxLine: this.maxLine });
    });
  }

  private async timeout(): Promise<never> {
    await this.worker.terminate();
    throw new RegexTimeout(this.opts.timeoutMs);
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
