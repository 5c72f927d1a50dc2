import { TpError } from '../errors/index.js';
import type { ModelAttempt } from './fallback.js';
import type { Host } from './host.js';
import { canonicalModel } from './names.js';

/** An attempt record for a call that started at `startedAt`. */
export function record(
  model: string,
  host: string | undefined,
  n: number,
  startedAt: number,
  error?: TpError,
): ModelAttempt {
  return {
    model,
    host,
    attemptNumber: n,
    startedAt: new Date(startedAt).toISOString(),
    durationMs: Date.now() - startedAt,
    ok: !error,
    ...(error ? { error: error.message, code: error.code, errorType: error.errorType } : {}),
  };
}

/** The permanent error for a model no host has. */
export function notFound(model: string, hosts: Host[]): TpError {
  const name = canonicalModel(model);
  return new TpError(
    `Model ${name} is not installed on any Ollama host (${hosts.map((h) => h.url).join(', ')})`,
    {
      code: 'MODEL_NOT_FOUND',
      retryable: false,
      hint: `Run \`ollama pull ${name}\` on one of the hosts, or choose another model.`,
      details: { model: name, hosts: hosts.map((h) => h.url) },
    },
  );
}

/** `error` with the attempt history in `details.attempts`. */
export function withAttempts(error: TpError, attempts: ModelAttempt[], taskId: string | undefined): TpError {
  return new TpError(error.message, {
    code: error.code,
    retryable: error.retryable,
    hint: error.hint,
    taskId,
    cause: error,
    details: { ...error.details, attempts },
  });
}

/** The error thrown when every model of the chain failed. */
export function summarise(
  models: string[],
  errors: TpError[],
  attempts: ModelAttempt[],
  taskId: string | undefined,
): TpError {
  const last = errors[errors.length - 1]!;
  const allMissing = errors.every((e) => e.code === 'MODEL_NOT_FOUND');
  const lines = models.map((m, i) => `${m}: ${errors[i]?.message ?? 'not tried'}`);
  return new TpError(`All ${models.length} model(s) failed — ${lines.join('; ')}`, {
    code: allMissing ? 'MODEL_NOT_FOUND' : last.code,
    retryable: allMissing ? false : last.retryable,
    hint: allMissing
      ? `Run \`ollama pull ${canonicalModel(models[0]!)}\` (or another model of the chain) on an Ollama host.`
      : last.hint,
    cause: last,
    taskId,
    details: { attempts, models },
  });
}
