import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isLoopback } from './host-check.js';

/** Hashing both sides makes the comparison constant-time whatever the token length. */
export function tokenMatches(given: string, token: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

/** Whether the request carries `Authorization: Bearer <token>`. */
export function bearerMatches(req: FastifyRequest, token: string): boolean {
  const auth = req.headers.authorization;
  if (typeof auth !== 'string' || !/^Bearer /i.test(auth)) return false;
  return tokenMatches(auth.slice(7).trim(), token);
}

/** Why a request is refused: the status to answer and a message that names the fix. */
export interface Refusal {
  status: 401 | 403;
  message: string;
}

/**
 * Who may do what. Changes (`POST /api/tasks`, retry) need the API token whenever one is set,
 * and are refused outright beyond loopback without one. Read-only views (dashboard, stats,
 * event stream) are open while the server is bound to loopback and need the token beyond it.
 * Before `bound` is called (tests with `inject`) the server counts as loopback.
 */
export class Access {
  private beyondLoopback = false;
  private host = '127.0.0.1';

  constructor(private readonly apiToken: string | undefined) {}

  /** Called at listen with the bind address. */
  bound(host: string): void {
    this.host = host;
    this.beyondLoopback = !isLoopback(host);
  }

  /** Set when changes are closed for good (beyond loopback without a token), for the start-up warning. */
  writeClosed(): string | undefined {
    if (this.apiToken || !this.beyondLoopback) return undefined;
    return `State-changing API routes (POST /api/tasks, retry) are disabled: the server listens on ${this.host} and no API token is set. Set TP_API_TOKEN (or webhook.apiToken) and send it as "Authorization: Bearer <token>", or bind webhook.host to 127.0.0.1.`;
  }

  /** Whether an API token is configured (the page then offers a token box). */
  tokenSet(): boolean {
    return Boolean(this.apiToken);
  }

  /**
   * Undefined when the request may change state. `formToken` is the token field of a form
   * posted without JavaScript (the dashboard's retry button), compared like the header.
   */
  write(req: FastifyRequest, formToken?: string): Refusal | undefined {
    const closed = this.writeClosed();
    if (closed) return { status: 403, message: closed };
    if (this.apiToken) {
      const ok =
        bearerMatches(req, this.apiToken) ||
        (formToken !== undefined && tokenMatches(formToken, this.apiToken));
      return ok ? undefined : { status: 401, message: 'missing or wrong bearer token' };
    }
    return crossSite(req);
  }

  /**
   * Undefined when the request may read the dashboard's data. `queryToken` is accepted on the
   * event stream only: EventSource cannot send headers.
   */
  read(req: FastifyRequest, queryToken?: string): Refusal | undefined {
    if (!this.beyondLoopback) return undefined;
    if (!this.apiToken) {
      return {
        status: 403,
        message: `The dashboard is disabled: the server listens on ${this.host} and no API token is set. Set TP_API_TOKEN (or webhook.apiToken), or bind webhook.host to 127.0.0.1.`,
      };
    }
    if (bearerMatches(req, this.apiToken)) return undefined;
    if (queryToken !== undefined && tokenMatches(queryToken, this.apiToken)) return undefined;
    return { status: 401, message: 'missing or wrong bearer token' };
  }
}

/**
 * Without a token, a change on loopback is open, so a page on another site could make the
 * browser send a body-less POST (a "simple" request, no preflight). Browsers say where a
 * request comes from; a cross-site one is refused.
 */
function crossSite(req: FastifyRequest): Refusal | undefined {
  const site = req.headers['sec-fetch-site'];
  const origin = req.headers.origin;
  const foreignOrigin =
    typeof origin === 'string' && origin !== 'null' && originHost(origin) !== req.headers.host;
  if (site === 'cross-site' || origin === 'null' || foreignOrigin) {
    return { status: 403, message: 'cross-site request refused' };
  }
  return undefined;
}

function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

/** Answers a refusal in the API's JSON shape. */
export function refuse(reply: FastifyReply, refusal: Refusal): FastifyReply {
  if (refusal.status === 401) reply.header('www-authenticate', 'Bearer');
  return reply
    .code(refusal.status)
    .send({ status: refusal.status === 401 ? 'unauthorized' : 'forbidden', message: refusal.message });
}
