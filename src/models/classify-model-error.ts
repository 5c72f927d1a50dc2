import { classify, classifyStatus, type ErrorCode, TpError } from '../errors/index.js';
import { redactUrl } from '../secrets/index.js';
import { canonicalModel } from './names.js';

/** Where a model call failed; it decides between "could not connect" and "stream cut". */
export interface ModelErrorContext {
  /** Model the call was for (any spelling). */
  model?: string;
  /** Host URL (credentials are redacted before use). */
  host?: string;
  /** True once the response headers arrived and the body was being streamed. */
  streaming?: boolean;
}

/** Codes that say "this host is unwell", as opposed to "this request or model is wrong". */
const HOST_FAILURE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'NETWORK',
  'TIMEOUT',
  'SERVER_ERROR',
  'RATE_LIMITED',
  'STREAM_CUT',
  'MODEL_UNAVAILABLE',
]);

/**
 * True when an error should count against the host's circuit breaker. Permanent errors (404
 * model, 400) prove the host answered, so they do not; neither do caller aborts.
 */
export function isHostFailure(err: TpError): boolean {
  return err.retryable && HOST_FAILURE_CODES.has(err.code);
}

const LOADING = /model is loading|loading model|server busy|overloaded|try again later/i;
const NOT_FOUND = /not found|try pulling|no such model/i;
// undici's body error is `TypeError('terminated')`; the ollama package's is "Did not receive done…".
const STREAM_END = /^terminated$|did not receive done|premature close|other side closed/i;

function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { status_code?: unknown; status?: unknown };
  if (typeof e.status_code === 'number') return e.status_code;
  if (typeof e.status === 'number') return e.status;
  return undefined;
}

interface Verdict {
  code: ErrorCode;
  retryable: boolean;
  hint?: string;
}

function pullHint(model: string | undefined, host: string | undefined): string {
  const name = model ? canonicalModel(model) : '<model>';
  return host ? `Run \`ollama pull ${name}\` on ${host}.` : `Run \`ollama pull ${name}\`.`;
}

function fromStatus(status: number, message: string, ctx: ModelErrorContext, host?: string): Verdict {
  if (status === 404) {
    return ctx.model || NOT_FOUND.test(message)
      ? { code: 'MODEL_NOT_FOUND', retryable: false, hint: pullHint(ctx.model, host) }
      : {
          code: 'MODEL_BAD_REQUEST',
          retryable: false,
          hint: 'Check that the URL points at an Ollama server.',
        };
  }
  const generic = classifyStatus(status, message, { domain: 'model' });
  // A 503 or a "loading" message at a status that is not more specific: the model is warming up.
  const specific =
    generic.code === 'MODEL_AUTH' || generic.code === 'TIMEOUT' || generic.code === 'RATE_LIMITED';
  if (!specific && (status === 503 || LOADING.test(message)))
    return { code: 'MODEL_UNAVAILABLE', retryable: true };
  return { code: generic.code, retryable: generic.retryable, hint: generic.hint };
}

/**
 * The one classification of failures of calls to Ollama. It composes `classify()` (network
 * codes, aborts, timeouts) with what is specific to model servers:
 *
 * | condition                                      | code              | retryable |
 * |------------------------------------------------|-------------------|-----------|
 * | refused / reset / DNS / socket error           | NETWORK           | yes       |
 * | our own or the server's timeout                | TIMEOUT           | yes       |
 * | 5xx                                            | SERVER_ERROR      | yes       |
 * | 503 or "model is loading"                      | MODEL_UNAVAILABLE | yes       |
 * | 429                                            | RATE_LIMITED      | yes       |
 * | body cut after streaming began                 | STREAM_CUT        | yes       |
 * | 404 / "model not found"                        | MODEL_NOT_FOUND   | no (hint: `ollama pull`) |
 * | 401 / 403                                      | MODEL_AUTH        | no        |
 * | 400 and other 4xx                              | MODEL_BAD_REQUEST | no        |
 *
 * Messages and details never carry credentials from the host URL.
 */
export function classifyModelError(err: unknown, ctx: ModelErrorContext = {}): TpError {
  if (TpError.isInstance(err)) return err;
  const host = ctx.host ? redactUrl(ctx.host) : undefined;
  const raw = err instanceof Error ? err.message : String(err);
  const status = statusOf(err);
  let verdict: Verdict;
  let details: Record<string, unknown> = {};

  if (status !== undefined) {
    verdict = fromStatus(status, raw, ctx, host);
    details.status = status;
  } else {
    const base = classify(err);
    details = { ...base.details };
    const networkish = base.code === 'NETWORK' || STREAM_END.test(raw);
    if (ctx.streaming && networkish) {
      verdict = { code: 'STREAM_CUT', retryable: true };
    } else if (base.code !== 'INTERNAL') {
      verdict = { code: base.code, retryable: base.retryable };
    } else if (LOADING.test(raw)) {
      verdict = { code: 'MODEL_UNAVAILABLE', retryable: true };
    } else if (NOT_FOUND.test(raw) && /model/i.test(raw)) {
      verdict = { code: 'MODEL_NOT_FOUND', retryable: false, hint: pullHint(ctx.model, host) };
    } else if (ctx.streaming) {
      // Ollama reports failures after the 200 as an `{"error": …}` line: a server-side fault.
      verdict = { code: 'SERVER_ERROR', retryable: true };
    } else {
      verdict = { code: 'INTERNAL', retryable: false };
    }
    if (verdict.code === 'NETWORK' && host) {
      verdict.hint = `Is Ollama running at ${host}? Start it with \`ollama serve\`.`;
    }
  }

  const where = [host, ctx.model ? canonicalModel(ctx.model) : undefined].filter(Boolean).join(' ');
  const message = where ? `Ollama ${where}: ${redactInText(raw, ctx.host)}` : redactInText(raw, ctx.host);
  return new TpError(message, {
    code: verdict.code,
    retryable: verdict.retryable,
    hint: verdict.hint,
    cause: err,
    details: {
      ...details,
      ...(host ? { host } : {}),
      ...(ctx.model ? { model: canonicalModel(ctx.model) } : {}),
    },
  });
}

function redactInText(text: string, host: string | undefined): string {
  let out = text.replace(/(\w+:\/\/)[^/\s@]+@/g, '$1');
  if (host) out = out.split(host).join(redactUrl(host));
  return out;
}
