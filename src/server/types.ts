import type { FastifyBaseLogger } from 'fastify';
import type { RetryOutcome } from '../dashboard/index.js';
import type { ForgeEvent, ForgeEventResult } from '../forges/types.js';
import type { WebhookForge } from '../forges/webhooks/index.js';
import type { StatsService } from '../stats/index.js';

/** What the composition root learns about a verified, first-time webhook delivery. */
export interface ForgeEventContext {
  forge: WebhookForge;
  /** The forge's delivery id, when it sent one. */
  deliveryId: string | undefined;
  /** The task the pull request belongs to (`[Task N]` title or `task-N` branch), if any. */
  taskId: string | undefined;
}

/**
 * `GET /health`. The original tool's shape (`status`, `queueSize`, `queuePending`,
 * `processing`) plus whatever else the root wants to report. `status: 'error'` answers 503
 * so load balancers and uptime checks notice.
 */
export interface HealthReport {
  status: 'ok' | 'degraded' | 'error';
  queueSize: number;
  queuePending: number;
  processing: string[];
  [key: string]: unknown;
}

/** `GET /health/ollama`: per-host breaker state, latency, last error, models. */
export interface OllamaHealthReport {
  status: 'ok' | 'degraded' | 'down';
  [key: string]: unknown;
}

/** The outcome of one webhook request, for metrics and audit (never carries secrets). */
export interface WebhookOutcome {
  forge: WebhookForge | undefined;
  statusCode: number;
  outcome: 'accepted' | 'ignored' | 'duplicate' | 'unauthorized' | 'no-secret' | 'bad-request' | 'error';
  deliveryId: string | undefined;
  event?: ForgeEvent['kind'];
}

/** A listener on every event of the app's bus (`EventBus.onAny`); returns the unsubscribe. */
export type SubscribeAll = (listener: (name: string, payload: unknown) => void) => () => void;

/** The dashboard, `/api/stats`, `/api/events` and the retry action (`monitoring.*`). */
export interface DashboardDeps {
  /** `monitoring.dashboard`: false answers 404 on all of it. */
  enabled: boolean;
  /** `monitoring.heartbeatMs`: comment line on idle event streams. */
  heartbeatMs: number;
  stats: StatsService;
  /** The app's event bus (`events.onAny`), streamed to `/api/events`. */
  subscribe: SubscribeAll;
  /** Redacts secrets from a string bound for a browser (event payloads). */
  redact: (text: string) => string;
  /** Requeues a task from failed/. Without it the retry route answers 404. */
  retryTask?(taskId: string): Promise<RetryOutcome>;
  /** Per-connection send buffer of `/api/events`; a client that lets more pile up is dropped. Default 1 MiB. */
  maxStreamBufferBytes?: number;
}

/** Everything the HTTP server needs, as plain values and callbacks: no Config object. */
export interface ServerDeps {
  /** `webhook.path`; also served: `/webhook/gitea`, `/webhook/github`, `/webhook/gitlab`. */
  webhookPath: string;
  /** Per-forge webhook secrets. A forge without one has its webhooks refused (401). */
  secrets: { gitea?: string | undefined; github?: string | undefined; gitlab?: string | undefined };
  /** `webhook.maxBodyBytes`: larger bodies answer 413. Also the `/api/tasks` limit. */
  maxBodyBytes: number;
  /** `webhook.rateLimitPerMinute`: per source IP, on the webhook and API routes; over it, 429. */
  rateLimitPerMinute: number;
  /** `taskIdFormat.extractRegex`, used to find the task of a pull request by its branch. */
  taskIdRegex?: string;
  /** Called once per verified, first-time delivery that maps to a `ForgeEvent`. */
  onForgeEvent(event: ForgeEvent, context: ForgeEventContext): Promise<ForgeEventResult>;
  /**
   * Replay store: returns whether `key` was seen before and records it. Called with several
   * keys per delivery (`<forge>:<delivery id>`, `body:<sha256>`, `event:<payload ids>`); a
   * delivery any of them was seen under is a duplicate. Defaults to an in-memory store (lost
   * on restart); pass a persistent one (the SQLite store) for more.
   */
  seenDelivery?(key: string): boolean | Promise<boolean>;
  /** Forget a key after the handler failed, so the forge's own retry is processed. */
  forgetDelivery?(key: string): void | Promise<void>;
  health(): HealthReport | Promise<HealthReport>;
  ollamaHealth?(): OllamaHealthReport | Promise<OllamaHealthReport>;
  /**
   * `POST /api/tasks`; throw `TpError` `TASK_INVALID` (details.problems) for a 400. Only the
   * file's name is returned to the client, never its path.
   */
  createTask?(input: unknown): Promise<{ id: string; file: string }>;
  /** `GET /metrics` body in Prometheus text format (prom-client `register.metrics`). */
  metrics?: () => Promise<string>;
  /** Defaults to the Prometheus text format 0.0.4 content type. */
  metricsContentType?: string;
  /**
   * When set, `POST /api/tasks` requires `Authorization: Bearer <apiToken>`. Without it the
   * API is served only when the server binds a loopback address (403 otherwise).
   */
  apiToken?: string | undefined;
  /**
   * `webhook.allowedHosts`: `Host` names accepted besides loopback names and the bind
   * address (any port). Every other Host is answered 421, against DNS rebinding.
   */
  allowedHosts?: readonly string[];
  /** Trust `X-Forwarded-For` (behind a reverse proxy) for the per-IP rate limit. */
  trustProxy?: boolean;
  /** Upper bound on receiving one request, against slow-body clients. Default 30 s. */
  requestTimeoutMs?: number;
  /** Per forge, the env variable(s) to name when its secret is missing (log line only). */
  secretEnvHint?: Partial<Record<WebhookForge, string>>;
  /** Observer for metrics and audit; called once per webhook request. */
  onWebhookOutcome?(outcome: WebhookOutcome): void;
  /** The operators' dashboard; none serves no dashboard routes. */
  dashboard?: DashboardDeps;
  /** A pino logger (the root's, with its redaction); none means silent. */
  logger?: FastifyBaseLogger;
}
