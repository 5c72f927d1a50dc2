import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { classify } from '../errors/index.js';
import type { ForgeEvent } from '../forges/types.js';
import {
  deliveryId as deliveryIdOf,
  detectForge,
  eventName,
  parseGiteaEvent,
  parseGithubEvent,
  parseGitlabEvent,
  replayKeys,
  type SignatureCheck,
  taskIdFromPullRequest,
  verifyGitea,
  verifyGithub,
  verifyGitlab,
  type WebhookForge,
  type WebhookHeaders,
} from '../forges/webhooks/index.js';
import type { ServerDeps, WebhookOutcome } from './types.js';

const VERIFY: Record<
  WebhookForge,
  (raw: Buffer, h: WebhookHeaders, s: string | undefined) => SignatureCheck
> = {
  gitea: verifyGitea,
  github: verifyGithub,
  gitlab: verifyGitlab,
};

const PARSE: Record<WebhookForge, (h: WebhookHeaders, json: unknown) => ForgeEvent | undefined> = {
  gitea: parseGiteaEvent,
  github: parseGithubEvent,
  gitlab: parseGitlabEvent,
};

/**
 * Where a webhook secret comes from, named in the log line when one is missing. The config
 * loader reads GITEA_WEBHOOK_SECRET (or TP_WEBHOOK_SECRET) for every forge, so that is the
 * default; the root passes `secretEnvHint` when it maps other variables.
 */
export const DEFAULT_SECRET_HINT = 'GITEA_WEBHOOK_SECRET (or TP_WEBHOOK_SECRET)';

const FORM = 'application/x-www-form-urlencoded';

/** Named in the 400 answer to a delivery without an id, so the sender knows what is missing. */
const DELIVERY_HEADERS: Record<WebhookForge, string> = {
  gitea: 'X-Gitea-Delivery or X-Forgejo-Delivery',
  github: 'X-GitHub-Delivery',
  gitlab: 'Idempotency-Key or X-Gitlab-Event-UUID',
};

type Deps = Pick<
  ServerDeps,
  | 'webhookPath'
  | 'secrets'
  | 'maxBodyBytes'
  | 'rateLimitPerMinute'
  | 'taskIdRegex'
  | 'onForgeEvent'
  | 'onWebhookOutcome'
  | 'secretEnvHint'
> & {
  seenDelivery(key: string): boolean | Promise<boolean>;
  forgetDelivery?(key: string): void | Promise<void>;
};

/**
 * The webhook routes, as an encapsulated plugin: inside it, JSON and form bodies are kept
 * as raw Buffers (the signature covers the exact bytes), and nothing is parsed until the
 * signature has been verified. Other content types get fastify's 415.
 */
export function webhookRoutes(deps: Deps) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.removeAllContentTypeParsers();
    const keepRaw = (_req: FastifyRequest, body: Buffer, done: (err: null, body: Buffer) => void) =>
      done(null, body);
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, keepRaw);
    app.addContentTypeParser(FORM, { parseAs: 'buffer' }, keepRaw);

    const routeOptions = {
      bodyLimit: deps.maxBodyBytes,
      config: { rateLimit: { max: deps.rateLimitPerMinute, timeWindow: 60_000 } },
    };
    const routes: Array<[string, WebhookForge | 'auto']> = [
      [deps.webhookPath, 'auto'],
      ['/webhook/gitea', 'gitea'],
      ['/webhook/github', 'github'],
      ['/webhook/gitlab', 'gitlab'],
    ];
    const taken = new Set<string>();
    for (const [path, forge] of routes) {
      // webhook.path may itself be one of the per-forge paths; the configured one wins.
      if (taken.has(path)) continue;
      taken.add(path);
      app.post(path, routeOptions, (req, reply) => handle(forge, req, reply));
    }
  };

  async function handle(hint: WebhookForge | 'auto', req: FastifyRequest, reply: FastifyReply) {
    const headers = req.headers as WebhookHeaders;
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const forge = hint === 'auto' ? detectForge(headers) : hint;
    const delivery = deliveryIdOf(headers);
    const finish = (
      statusCode: number,
      outcome: WebhookOutcome['outcome'],
      message: string,
      event?: ForgeEvent['kind'],
    ) => {
      try {
        deps.onWebhookOutcome?.({
          forge,
          statusCode,
          outcome,
          deliveryId: delivery,
          ...(event ? { event } : {}),
        });
      } catch (err) {
        // A broken metrics observer must not change what the forge is told.
        req.log.error({ err: classify(err) }, 'webhook outcome observer failed');
      }
      return reply.code(statusCode).send({ status: outcome, message });
    };

    if (!forge) {
      req.log.warn({ ip: req.ip }, 'webhook refused: no Gitea, GitHub or GitLab signature headers');
      return finish(401, 'unauthorized', 'missing signature');
    }
    const verdict = VERIFY[forge](raw, headers, deps.secrets[forge] || undefined);
    if (!verdict.ok) {
      if (verdict.reason === 'no-secret') {
        req.log.warn(
          { forge, ip: req.ip },
          `webhook refused: no ${forge} webhook secret is configured. Set ${deps.secretEnvHint?.[forge] ?? DEFAULT_SECRET_HINT} in the environment or .env to the secret entered in the ${forge} webhook settings; unsigned webhooks are never accepted.`,
        );
        return finish(401, 'no-secret', 'webhook secret not configured on this server');
      }
      req.log.warn(
        { forge, ip: req.ip, reason: verdict.reason, deliveryId: delivery },
        verdict.reason === 'missing-signature'
          ? `webhook refused: unsigned; enter the same secret in the ${forge} webhook settings`
          : 'webhook refused: signature does not match the configured secret',
      );
      return finish(
        401,
        'unauthorized',
        verdict.reason === 'missing-signature' ? 'missing signature' : 'invalid signature',
      );
    }

    // Every forge names its deliveries; one without an id cannot be told apart from a replay.
    if (!delivery) {
      req.log.warn({ forge, ip: req.ip }, 'webhook refused: signed but without a delivery id header');
      return finish(400, 'bad-request', `missing delivery id header (${DELIVERY_HEADERS[forge]})`);
    }

    let json: unknown;
    try {
      json = parseBody(raw, req.headers['content-type']);
    } catch {
      return finish(400, 'bad-request', 'body is not valid JSON');
    }

    // A replayer can pick any delivery id, so the body and the payload's own ids count too.
    const keys = [`${forge}:${delivery}`, ...replayKeys(forge, raw, json)];
    const recorded: string[] = [];
    for (const key of keys) if (!(await deps.seenDelivery(key))) recorded.push(key);
    if (recorded.length < keys.length) {
      req.log.info({ forge, deliveryId: delivery }, 'webhook replay ignored');
      return finish(202, 'duplicate', 'duplicate delivery, already processed');
    }

    const event = PARSE[forge](headers, json);
    if (!event) {
      const name = eventName(forge, headers) ?? 'unknown';
      req.log.debug({ forge, deliveryId: delivery, event: name }, 'webhook event ignored');
      return finish(202, 'ignored', `event ${safeText(name)} is not handled`);
    }

    try {
      const taskId =
        event.kind === 'ping'
          ? undefined
          : taskIdFromPullRequest(event.title, event.branch, deps.taskIdRegex ?? 'task-(\\d+)');
      const result = await deps.onForgeEvent(event, { forge, deliveryId: delivery, taskId });
      req.log.info(
        { forge, deliveryId: delivery, event: event.kind, taskId, result: result.status },
        'webhook handled',
      );
      return finish(
        result.status === 'accepted' ? 200 : 202,
        result.status,
        result.message ?? result.status,
        event.kind,
      );
    } catch (err) {
      // Let the forge's own retry through: the failed attempt must not count as processed.
      for (const key of recorded) await deps.forgetDelivery?.(key);
      const e = classify(err);
      req.log.error(
        { forge, deliveryId: delivery, event: event.kind, code: e.code, err: e },
        'webhook handler failed',
      );
      return finish(e.retryable ? 503 : 500, 'error', `handler failed (${e.code})`, event.kind);
    }
  }
}

/** JSON body, or the `payload` field of a form body (GitHub's and Gitea's form content type). */
function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  const text = raw.toString('utf8');
  if (contentType?.toLowerCase().startsWith(FORM)) {
    const payload = new URLSearchParams(text).get('payload');
    if (payload === null) throw new Error('form body without payload');
    return JSON.parse(payload);
  }
  return JSON.parse(text);
}

/** Event names come from the request; keep what is echoed back short and plain. */
function safeText(value: string): string {
  return value.replace(/[^\w .:-]/g, '').slice(0, 60);
}
