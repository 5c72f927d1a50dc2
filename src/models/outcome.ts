import { TpError } from '../errors/index.js';
import { failedAttempts, type ModelAttempt, type SkippedModel } from './fallback.js';
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

/** `error` with the failed attempts in `details.attempts` (the error.json shape). */
export function withAttempts(error: TpError, attempts: ModelAttempt[], taskId: string | undefined): TpError {
  return new TpError(error.message, {
    code: error.code,
    retryable: error.retryable,
    hint: error.hint,
    taskId,
    cause: error,
    details: { ...error.details, attempts: failedAttempts(attempts) },
  });
}

/** What each host is known to have, `url: a, b; url2: no models`, for messages and logs. */
export function describeLists(hosts: readonly Host[]): string {
  return hosts
    .map((h) => {
      const models = h.report().models;
      if (models === undefined) return `${h.url}: list unknown`;
      return `${h.url}: ${models.length ? models.join(', ') : 'no models'}`;
    })
    .join('; ');
}

/** The permanent error when every model of the chain was left out: nothing was tried. */
export function allSkipped(
  models: readonly string[],
  hosts: readonly Host[],
  taskId: string | undefined,
): TpError {
  const names = models.map(canonicalModel);
  return new TpError(
    `None of the models ${names.join(', ')} is installed on an Ollama host (${describeLists(hosts)})`,
    {
      code: 'MODEL_NOT_FOUND',
      retryable: false,
      hint: `Run \`ollama pull ${names[0]}\` on one of the hosts, or choose another model.`,
      taskId,
      details: {
        attempts: [],
        models: [...models],
        hosts: Object.fromEntries(hosts.map((h) => [h.url, h.report().models ?? null])),
      },
    },
  );
}

/** A model that was tried, with the error it ended on. */
export interface TriedModel {
  model: string;
  error: TpError;
}

/**
 * The error thrown when every model of the chain failed. It leads with the most informative
 * failure: the first model that ran on a host and failed for a reason of its own (a reply that
 * was not understood, no change, a bad request), because that says what went wrong with the
 * task; models missing from the hosts only say which ones were not installed. MODEL_NOT_FOUND
 * (with the `ollama pull` hint) is the outcome only when every tried model was missing. The
 * lead error's details (the agent's output tail) are kept; every attempt is in
 * `details.attempts` (all failed, in the error.json shape), the left-out models in `details.skipped`.
 */
export function summarise(
  chain: readonly string[],
  tried: readonly TriedModel[],
  skipped: readonly SkippedModel[],
  attempts: ModelAttempt[],
  taskId: string | undefined,
): TpError {
  const ranOnHost = (m: string) => attempts.some((a) => a.model === m && a.host !== undefined);
  const real = tried.filter((t) => t.error.code !== 'MODEL_NOT_FOUND');
  const lead = real.find((t) => ranOnHost(t.model)) ?? real[0];
  const others = [
    ...tried.filter((t) => t !== lead).map((t) => `${t.model}: ${t.error.message}`),
    ...skipped.map((s) => `${s.model}: skipped, not installed on any host`),
  ];
  const rest = others.length ? ` — other models: ${others.join('; ')}` : '';
  const details = {
    attempts: failedAttempts(attempts),
    models: [...chain],
    ...(skipped.length ? { skipped: [...skipped] } : {}),
  };
  if (!lead) {
    const first = canonicalModel(tried[0]?.model ?? chain[0]!);
    const missing = tried.map((t) => `${t.model}: ${t.error.message}`);
    const all = [...missing, ...skipped.map((s) => `${s.model}: skipped, not installed on any host`)];
    return new TpError(`All ${chain.length} model(s) failed — ${all.join('; ')}`, {
      code: 'MODEL_NOT_FOUND',
      retryable: false,
      hint: `Run \`ollama pull ${first}\` (or another model of the chain) on an Ollama host.`,
      cause: tried[0]?.error,
      taskId,
      details,
    });
  }
  const { attempts: _a, ...leadDetails } = lead.error.details;
  return new TpError(`${lead.model}: ${lead.error.message}${rest}`, {
    code: lead.error.code,
    retryable: lead.error.retryable,
    hint: lead.error.hint,
    cause: lead.error,
    taskId,
    details: { ...leadDetails, ...details },
  });
}
