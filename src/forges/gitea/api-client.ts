import { classify, classifyStatus, TpError } from '../../errors/index.js';
import { redact } from '../../secrets/index.js';
import { type ForgeRetryOptions, forgeRetryPolicy, retryAfterMs } from '../forge-retry.js';

/*
 * A thin client over Gitea's REST API v1 (Forgejo serves the same API). Hand-written on
 * `fetch` on purpose: npm has no maintained, typed Gitea client we would want to depend on
 * (the published ones are stale or generated wholesale from the 500 kB swagger file), and
 * the adapter needs only a dozen endpoints. Retry/backoff is cockatiel, not ours.
 */

/** Retry tuning for transient API failures (429, 5xx, network, timeouts). */
export type GiteaRetryOptions = ForgeRetryOptions;

export interface GiteaApiClientOptions {
  /** Server root (`https://git.example.com`, `https://example.com/gitea`) or the API root ending in `/api/v1`. */
  baseUrl: string;
  token: string;
  fetch?: typeof fetch;
  retry?: GiteaRetryOptions;
  /** Per-request time limit in ms. Default 30 000. */
  timeoutMs?: number;
}

export interface ApiRequest {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  signal?: AbortSignal;
}

export interface ApiResponse<T> {
  status: number;
  data: T;
}

const SCOPE_HINT =
  'Check the Gitea token: it must be valid and have scope write:repository (push, pull requests) and write:issue (labels, comments); write:organization to create repositories in an org.';

/** The API root for a configured forge URL, without a trailing slash. */
export function apiRoot(baseUrl: string): string {
  const trimmed = baseUrl.replace(/\/+$/, '');
  return /\/api\/v1$/.test(trimmed) ? trimmed : `${trimmed}/api/v1`;
}

/** Calls the Gitea API with token auth, classified errors and retries on transient failures. */
export class GiteaApiClient {
  private readonly root: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly policy;

  constructor(private readonly options: GiteaApiClientOptions) {
    this.root = apiRoot(options.baseUrl);
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.policy = forgeRetryPolicy(options.retry);
  }

  /**
   * Sends one API call (retrying transient failures) and returns status and parsed JSON.
   * Throws a `TpError` for any status outside 2xx; the token never appears in it.
   */
  async request<T>(method: string, path: string, req: ApiRequest = {}): Promise<ApiResponse<T>> {
    return this.policy.execute(() => this.once<T>(method, path, req), req.signal);
  }

  private async once<T>(method: string, path: string, req: ApiRequest): Promise<ApiResponse<T>> {
    const url = new URL(`${this.root}${path}`);
    for (const [k, v] of Object.entries(req.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const what = `Gitea API ${method} ${url.pathname}`;
    const headers: Record<string, string> = {
      Accept: 'application/json',
      Authorization: `token ${this.options.token}`,
    };
    if (req.body !== undefined) headers['Content-Type'] = 'application/json';
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method,
        headers,
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal: req.signal ? AbortSignal.any([req.signal, timeout]) : timeout,
      });
    } catch (err) {
      const base = classify(err);
      // The caller gave up (shutdown, task cancelled): retrying would defeat the abort.
      const cancelled = req.signal?.aborted === true;
      throw new TpError(redact(`${what} failed: ${base.message}`, this.options.token), {
        code: cancelled ? 'ABORTED' : base.code,
        retryable: cancelled ? false : base.retryable,
        details: base.details,
        hint: 'Check that forge.url (GITEA_URL) is reachable from this machine.',
      });
    }
    const text = await res.text();
    if (!res.ok) throw this.httpError(what, res, text);
    let data: unknown;
    try {
      data = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      throw new TpError(`${what} returned ${res.status} with a body that is not JSON.`, {
        code: 'FORGE_UNAVAILABLE',
        retryable: true,
        details: { status: res.status },
        hint: 'Is forge.url the Gitea/Forgejo server root (not a proxy login page)?',
      });
    }
    return { status: res.status, data: data as T };
  }

  private httpError(what: string, res: Response, text: string): TpError {
    let apiMessage = '';
    try {
      const parsed = JSON.parse(text) as { message?: unknown };
      if (typeof parsed.message === 'string') apiMessage = parsed.message;
    } catch {
      apiMessage = text.slice(0, 200);
    }
    const message = redact(
      `${what} → ${res.status}${apiMessage ? `: ${apiMessage}` : ''}`,
      this.options.token,
    );
    const base = classifyStatus(res.status, message, { domain: 'forge' });
    const details: Record<string, unknown> = {
      ...base.details,
      apiMessage: redact(apiMessage, this.options.token),
    };
    const wait = retryAfterMs(res.headers.get('retry-after'));
    if (wait !== undefined) details.retryAfterMs = wait;
    let code = base.code;
    let hint = base.hint;
    let retryable = base.retryable;
    if (res.status === 401 || res.status === 403) hint = SCOPE_HINT;
    else if (res.status === 404) hint = 'Check forge.url, forge.owner and forge.repo (GITEA_URL, GITEA_ORG).';
    else if (res.status === 405 && /try again later/i.test(apiMessage)) {
      // Gitea answers a merge with 405 "Please try again later" while its mergeability check still runs.
      code = 'FORGE_UNAVAILABLE';
      retryable = true;
    } else if (res.status === 405) code = 'FORGE_CONFLICT';
    else if (code === 'FORGE_BAD_REQUEST') {
      hint = 'The Gitea server rejected the request; check that its version supports API v1 as used here.';
    }
    return new TpError(message, { code, retryable, details, hint });
  }
}
