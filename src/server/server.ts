import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyError, type FastifyInstance, LogController } from 'fastify';
import { TpError } from '../errors/index.js';
import { taskIdFromPullRequest, type WebhookForge } from '../forges/webhooks/index.js';
import { Access } from './access.js';
import { apiRoutes } from './api-routes.js';
import { dashboardRoutes } from './dashboard-routes.js';
import { createMemoryDeliveryStore } from './delivery-store.js';
import { HostCheck } from './host-check.js';
import type { ServerDeps } from './types.js';
import { DEFAULT_SECRET_HINT, webhookRoutes } from './webhook-routes.js';

/** A built HTTP server: `app` for `inject` in tests, `listen`/`close` for real use. */
export interface TpServer {
  app: FastifyInstance;
  /** Binds and resolves with the bound address (port 0 picks a free port). */
  listen(port: number, host: string): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
}

/**
 * Builds the fastify app (not listening): webhooks on `webhookPath` (forge detected from
 * headers) and `/webhook/{gitea,github,gitlab}`, `/health`, `/health/ollama`, `/api/tasks`,
 * `/metrics` and, with `deps.dashboard`, the dashboard and its APIs. Errors never echo secrets or internals; bad input never crashes it.
 */
export function createServer(deps: ServerDeps): TpServer {
  if (!deps.webhookPath.startsWith('/')) {
    throw new TpError(`webhook.path must start with "/", got "${deps.webhookPath}"`, {
      code: 'CONFIG_INVALID',
      hint: 'Set webhook.path to an absolute path such as "/webhook".',
    });
  }
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    // Request/response lines at info level would drown the task logs; outcomes are logged.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: deps.trustProxy ?? false,
    requestTimeout: deps.requestTimeoutMs ?? 30_000,
    bodyLimit: deps.maxBodyBytes,
  });

  const forges: WebhookForge[] = ['gitea', 'github', 'gitlab'];
  if (forges.every((f) => !deps.secrets[f])) {
    app.log.warn(
      `no webhook secret configured: webhooks will be refused with 401. Set ${deps.secretEnvHint?.gitea ?? DEFAULT_SECRET_HINT} in the environment or .env.`,
    );
  }
  // Fail at start, naming the key, rather than with a 500 on every pull-request webhook.
  taskIdFromPullRequest('', 'probe', deps.taskIdRegex ?? 'task-(\\d+)');

  let seenDelivery = deps.seenDelivery?.bind(deps);
  let forgetDelivery = deps.forgetDelivery?.bind(deps);
  if (!seenDelivery) {
    const store = createMemoryDeliveryStore();
    seenDelivery = (key) => store.seen(key);
    forgetDelivery ??= (key) => store.forget(key);
  }

  const hosts = new HostCheck(deps.allowedHosts);
  // Before routing, rate limits and body reads: a rebinding page gets nothing, not even a 404.
  app.addHook('onRequest', async (req, reply) => {
    if (hosts.allows(req.headers.host)) return;
    req.log.warn({ ip: req.ip, host: safeHost(req.headers.host) }, 'request refused: Host not allowed');
    return reply.code(421).send({
      status: 'error',
      code: 'HOST_NOT_ALLOWED',
      message: `Host "${safeHost(req.headers.host)}" is not a name this server answers to; if it is reached by that name (a reverse proxy, the forge's webhook URL), add it to webhook.allowedHosts.`,
    });
  });

  // Told the bind address at listen: without a token, changes are served on loopback only.
  const access = new Access(deps.apiToken);

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    // Client errors carry fastify's own fixed messages (size limit, media type); a 5xx
    // message could carry internals, so it is replaced.
    const message = status >= 500 ? 'internal error' : err.message;
    return reply.code(status).send({ status: 'error', code: err.code ?? 'ERROR', message });
  });

  app.register(rateLimit, {
    global: false,
    // The default 429 body names the limit and window; keep it but in our shape.
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: 429,
      status: 'error',
      code: 'RATE_LIMITED',
      message: `rate limit exceeded, retry in ${ctx.after}`,
    }),
  });
  app.register(
    webhookRoutes({
      webhookPath: deps.webhookPath,
      secrets: deps.secrets,
      maxBodyBytes: deps.maxBodyBytes,
      rateLimitPerMinute: deps.rateLimitPerMinute,
      taskIdRegex: deps.taskIdRegex,
      onForgeEvent: deps.onForgeEvent,
      onWebhookOutcome: deps.onWebhookOutcome,
      secretEnvHint: deps.secretEnvHint,
      seenDelivery,
      ...(forgetDelivery ? { forgetDelivery } : {}),
    }),
  );
  app.register(apiRoutes(deps, access));
  if (deps.dashboard) app.register(dashboardRoutes(deps.dashboard, access, deps.rateLimitPerMinute));

  return {
    app,
    async listen(port, host) {
      hosts.bound(host);
      access.bound(host);
      const closed = access.writeClosed();
      if (closed && (deps.createTask || deps.dashboard?.enabled)) app.log.warn({ host }, closed);
      await app.listen({ port, host });
      const address = app.server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      const shownHost = host.includes(':') ? `[${host}]` : host;
      return { url: `http://${shownHost}:${bound}`, port: bound };
    },
    close: () => app.close(),
  };
}

/** The Host header as it may appear in a log line or answer: short and printable. */
function safeHost(value: string | undefined): string {
  return (value ?? '').replace(/[^\w.:[\]-]/g, '').slice(0, 100);
}
