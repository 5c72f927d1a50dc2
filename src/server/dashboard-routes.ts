import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { dashboardAssets, escapeHtml, type RetryOutcome, renderPage } from '../dashboard/index.js';
import { classify } from '../errors/index.js';
import { type Access, type Refusal, refuse } from './access.js';
import { eventStreamRoute } from './event-stream.js';
import type { DashboardDeps } from './types.js';

/**
 * Only this origin's files; no inline script or style, no framing, forms post here only.
 * uPlot sets element styles from script (CSSOM), which `style-src 'self'` allows.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const TASK_ID = /^[\w.-]{1,100}$/;

/**
 * `GET /` and `/dashboard` (the page), `/assets/*`, `GET /api/stats`, `GET /api/events` and
 * `POST /api/tasks/:id/retry`. Nothing at all when `monitoring.dashboard` is false.
 */
export function dashboardRoutes(d: DashboardDeps, access: Access, rateLimitPerMinute = 120) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    if (!d.enabled) return;
    // Hooks in this plugin apply to its routes only (fastify encapsulation).
    app.addHook('onSend', async (_req, reply, payload) => {
      reply.header('content-security-policy', DASHBOARD_CSP);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
      reply.header('x-frame-options', 'DENY');
      return payload;
    });
    // The retry form posts without JavaScript; its token (if any) comes as a form field.
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 4096 },
      (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );

    const page = async (req: FastifyRequest, reply: FastifyReply) => {
      const tokenRequired = access.tokenSet();
      const refusal = access.read(req);
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
      if (refusal?.status === 403)
        return reply.code(403).send(messagePage('Dashboard closed', refusal.message));
      // The shell: no data, a token box; the script fetches the page again with the token.
      if (refusal)
        return reply.code(401).send(renderPage({ snapshot: undefined, trends: undefined, tokenRequired }));
      const [snapshot, trends] = await Promise.all([d.stats.snapshot(), d.stats.trends('24h')]);
      return reply.send(renderPage({ snapshot, trends, tokenRequired }));
    };
    app.get('/', page);
    app.get('/dashboard', page);

    app.get('/assets/:name', async (req, reply) => {
      const { name } = req.params as { name: string };
      const asset = Object.hasOwn(dashboardAssets(), name) ? dashboardAssets()[name] : undefined;
      if (!asset) return reply.code(404).send({ status: 'not-found', message: 'no such asset' });
      return reply.type(asset.type).header('cache-control', 'no-cache').send(asset.body);
    });

    app.get('/api/stats', async (req, reply) => {
      const refusal = access.read(req);
      if (refusal) return refuse(reply, refusal);
      const { range } = (req.query ?? {}) as { range?: unknown };
      if (range !== undefined && range !== '24h' && range !== '7d') {
        return reply.code(400).send({ status: 'invalid', message: 'range must be "24h" or "7d"' });
      }
      const snapshot = await d.stats.snapshot();
      if (!range) return reply.header('cache-control', 'no-store').send(snapshot);
      const trends = await d.stats.trends(range);
      return reply.header('cache-control', 'no-store').send({ ...snapshot, trends });
    });

    eventStreamRoute(app, d, access);

    app.post(
      '/api/tasks/:id/retry',
      { config: { rateLimit: { max: rateLimitPerMinute, timeWindow: 60_000 } } },
      async (req, reply) => {
        const form = /^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '');
        const formToken = form ? (req.body as Record<string, string> | undefined)?.token : undefined;
        const refusal = access.write(req, formToken || undefined);
        if (refusal) return answer(reply, form, refusal.status, refusalBody(refusal));
        const { id } = req.params as { id: string };
        if (!d.retryTask || !TASK_ID.test(id)) {
          return answer(reply, form, 404, { status: 'not-found', message: `no task ${id.slice(0, 100)}` });
        }
        let outcome: RetryOutcome;
        try {
          outcome = await d.retryTask(id);
        } catch (err) {
          const e = classify(err);
          req.log.error({ err: e, code: e.code }, 'retry failed');
          return answer(reply, form, 500, { status: 'error', code: e.code, message: 'retry failed' });
        }
        if (outcome.status === 'unknown') {
          return answer(reply, form, 404, { status: 'not-found', message: `no task ${id}` });
        }
        if (outcome.status === 'not-failed') {
          return answer(reply, form, 409, {
            status: 'conflict',
            message: `task ${id} is in ${outcome.state}/, not in failed/`,
          });
        }
        if (form) return reply.redirect('/dashboard#failures', 303);
        return reply.send({ status: 'requeued', id: outcome.taskId, file: path.basename(outcome.file) });
      },
    );
  };
}

function refusalBody(r: Refusal) {
  return { status: r.status === 401 ? 'unauthorized' : 'forbidden', message: r.message };
}

/** JSON for scripts, a small page for a form posted without JavaScript. */
function answer(
  reply: FastifyReply,
  form: boolean,
  status: number,
  body: { status: string; message: string; code?: string },
) {
  if (status === 401) reply.header('www-authenticate', 'Bearer');
  if (!form) return reply.code(status).send(body);
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .send(messagePage(`Retry: ${body.status}`, body.message));
}

function messagePage(title: string, message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><link rel="stylesheet" href="/assets/dashboard.css"></head><body><main><section><h2>${escapeHtml(title)}</h2><p>${escapeHtml(message)}</p><p><a href="/dashboard">Back to the dashboard</a></p></section></main></body></html>`;
}
