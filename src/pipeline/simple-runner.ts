import { classify, TpError } from '../errors/index.js';
import type { FailureAttempt } from '../intake/types.js';
import type { AttemptOutcome, AttemptRunner } from './types.js';

export interface SimpleRunnerOptions {
  host: string;
  /** Tries per model for retryable errors. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  factor: number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  onAttemptFailed?: (a: FailureAttempt & { taskId: string }) => void;
}

const abortableSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/**
 * Model fallback for a single host without health tracking: each model is retried on
 * transient errors with exponential backoff, then the next model is tried. Used when no
 * Ollama is involved (command agents) and as the baseline the resilient runner extends.
 */
export class SimpleAttemptRunner implements AttemptRunner {
  constructor(private readonly options: SimpleRunnerOptions) {}

  async run<T>(
    chain: string[],
    fn: (ctx: { model: string; host: string; attemptNumber: number; signal: AbortSignal }) => Promise<T>,
    opts: { taskId: string; signal: AbortSignal },
  ): Promise<AttemptOutcome<T>> {
    const attempts: FailureAttempt[] = [];
    const sleep = this.options.sleep ?? abortableSleep;
    let last: TpError | undefined;
    let n = 0;
    for (const model of chain) {
      for (let i = 1; i <= Math.max(1, this.options.maxAttempts); i++) {
        n++;
        const started = Date.now();
        try {
          const result = await fn({ model, host: this.options.host, attemptNumber: n, signal: opts.signal });
          return { result, modelUsed: model, host: this.options.host, attempts };
        } catch (err) {
          const e = classify(err);
          last = e;
          const a: FailureAttempt = {
            attemptNumber: n,
            model,
            host: this.options.host,
            error: e.message,
            code: e.code,
            errorType: e.errorType,
            durationMs: Date.now() - started,
          };
          attempts.push(a);
          this.options.onAttemptFailed?.({ ...a, taskId: opts.taskId });
          if (opts.signal.aborted) throw e;
          if (!e.retryable) break;
          if (i < this.options.maxAttempts) {
            const delay = Math.min(
              this.options.maxDelayMs,
              this.options.baseDelayMs * this.options.factor ** (i - 1),
            );
            await sleep(delay * (0.5 + Math.random() / 2), opts.signal);
          }
        }
      }
    }
    throw new TpError(last?.message ?? 'No model to try.', {
      code: last?.code ?? 'MODEL_NOT_FOUND',
      retryable: last?.retryable ?? false,
      hint: last?.hint,
      cause: last,
      details: { ...last?.details, attempts },
    });
  }
}
