import { classify, TpError } from '../errors/index.js';
import type { FailureAttempt } from '../intake/types.js';
import { type RetryOptions, withRetry } from '../models/index.js';
import type { AttemptOutcome, AttemptRunner } from './types.js';

export interface SimpleRunnerOptions {
  host: string;
  /** Backoff per model for retryable errors (`retryOptionsFrom(config)`). */
  retry: RetryOptions;
  onAttemptFailed?: (a: FailureAttempt & { taskId: string }) => void;
}

/**
 * Model fallback for a single host without health tracking: each model is retried on
 * transient errors with the models domain's backoff, then the next model is tried. Used
 * when no Ollama is involved (command agents).
 */
export class SimpleAttemptRunner implements AttemptRunner {
  constructor(private readonly options: SimpleRunnerOptions) {}

  async run<T>(
    chain: string[],
    fn: (ctx: { model: string; host: string; attemptNumber: number; signal: AbortSignal }) => Promise<T>,
    opts: { taskId: string; signal: AbortSignal },
  ): Promise<AttemptOutcome<T>> {
    const { host } = this.options;
    const attempts: FailureAttempt[] = [];
    let last: TpError | undefined;
    let n = 0;
    for (const model of chain) {
      try {
        const result = await withRetry(
          async () => {
            const attemptNumber = ++n;
            const started = Date.now();
            try {
              return await fn({ model, host, attemptNumber, signal: opts.signal });
            } catch (err) {
              const e = classify(err);
              const a: FailureAttempt = {
                attemptNumber,
                model,
                host,
                error: e.message,
                code: e.code,
                errorType: e.errorType,
                durationMs: Date.now() - started,
              };
              attempts.push(a);
              this.options.onAttemptFailed?.({ ...a, taskId: opts.taskId });
              throw e;
            }
          },
          { ...this.options.retry, signal: opts.signal },
        );
        return { result, modelUsed: model, host, attempts };
      } catch (err) {
        last = classify(err);
        if (opts.signal.aborted) throw last;
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
