import { z } from 'zod';

/*
 * The operators' sections: notifications (Slack, signed webhooks, email, ntfy-style pushes) and
 * monitoring (the dashboard, its live stream and trends). Kept apart from schema.ts like the
 * run sections in schema-runs.ts.
 */

const ms = (d: number, text: string) => z.number().int().nonnegative().default(d).describe(text);

/** What a channel can be told about. `digest` is the daily summary. */
export const NOTIFICATION_EVENTS = [
  'task.failed',
  'task.needs_attention',
  'pr.opened',
  'pr.merged',
  'host.down',
  'digest',
] as const;
export type NotificationEventName = (typeof NOTIFICATION_EVENTS)[number];

const smtpSchema = z.object({
  host: z.string().min(1).describe('SMTP server name or address.'),
  port: z.number().int().positive().max(65_535).default(587).describe('SMTP port (465 with `secure`).'),
  secure: z
    .boolean()
    .default(false)
    .describe('TLS from the first byte (port 465); otherwise STARTTLS when offered.'),
  user: z.string().optional().describe('SMTP user name, if the server wants one.'),
  pass: z
    .string()
    .optional()
    .describe(
      'SMTP password; write `env:NAME` to read it from the environment variable NAME (kept out of logs).',
    ),
});

export const notificationChannelSchema = z
  .object({
    name: z.string().optional().describe('Shown in logs and on the dashboard; default `<type>#<index>`.'),
    type: z
      .enum(['slack', 'webhook', 'email', 'ntfy'])
      .describe(
        '`slack`: an incoming webhook (Block Kit message). `webhook`: JSON POST, HMAC-SHA256 signed like our own webhooks when `secret` is set. `email`: SMTP (nodemailer). `ntfy`: a plain-text HTTP push (ntfy.sh-style topic URL).',
      ),
    url: z
      .string()
      .refine((v) => /^env:[A-Za-z_]\w*$/.test(v) || URL.canParse(v), 'must be an http(s) URL or env:NAME')
      .optional()
      .describe(
        'Where `slack`, `webhook` and `ntfy` post; `env:NAME` reads it from the environment variable NAME.',
      ),
    secret: z
      .string()
      .optional()
      .describe(
        '`webhook` only: HMAC-SHA256 key; the signature of the exact body goes in `X-TP-Signature: sha256=<hex>`. `env:NAME` reads it from the environment variable NAME.',
      ),
    smtp: smtpSchema.optional().describe('`email` only: the SMTP server.'),
    from: z.string().optional().describe('`email` only: sender; default `ticket-processor@<smtp host>`.'),
    to: z.array(z.string().min(3)).optional().describe('`email` only: recipients.'),
    events: z
      .array(z.enum(NOTIFICATION_EVENTS))
      .default([...NOTIFICATION_EVENTS])
      .describe('Events this channel receives; default all of them.'),
  })
  .superRefine((c, ctx) => {
    const need = (key: 'url' | 'smtp' | 'to', why: string) => {
      const v = c[key];
      if (v === undefined || (Array.isArray(v) && v.length === 0))
        ctx.addIssue({ code: 'custom', path: [key], message: `a ${c.type} channel needs ${why}` });
    };
    if (c.type === 'email') {
      need('smtp', '`smtp` (host, port, secure, user, pass)');
      need('to', '`to` (a list of recipients)');
    } else need('url', '`url`');
    if (c.secret !== undefined && c.type !== 'webhook')
      ctx.addIssue({
        code: 'custom',
        path: ['secret'],
        message: 'only a webhook channel signs its requests',
      });
  });

export const notificationsSchema = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe('Send notifications to `channels` (none are configured by default).'),
    channels: z
      .array(notificationChannelSchema)
      .default([])
      .describe('Where notifications go, and which events each one gets.'),
    batchWindowMs: ms(
      30_000,
      'Events of one kind arriving within this window go out as one message per channel (a storm of failures sends one summary, not one message each).',
    ),
    maxPerHour: z
      .number()
      .int()
      .positive()
      .default(30)
      .describe('Messages per channel per hour at most; beyond it, events wait for the next batch.'),
    hostDownMinutes: z
      .number()
      .nonnegative()
      .default(5)
      .describe('A host counts as down (event `host.down`) after its breaker has been open this long.'),
    digestHour: z
      .number()
      .int()
      .min(0)
      .max(23)
      .default(9)
      .describe('Local hour at which the daily digest (event `digest`) is sent.'),
    retries: z
      .number()
      .int()
      .nonnegative()
      .default(4)
      .describe('Delivery retries (exponential backoff) before a message is kept as failed.'),
    retryDelayMs: ms(2_000, 'First retry delay of a delivery, doubled each time.'),
    timeoutMs: ms(10_000, 'Milliseconds one delivery may take before it counts as failed.'),
  })
  .prefault({});

export const monitoringSchema = z
  .object({
    dashboard: z
      .boolean()
      .default(true)
      .describe(
        'Serve the dashboard at `/` and `/dashboard` on the webhook server, with `/api/stats` and the live `/api/events` stream. Read-only views are open on loopback and need the API token when bound beyond it; changes (retry) always need it.',
      ),
    trendDays: z
      .number()
      .int()
      .positive()
      .max(90)
      .default(7)
      .describe('How many days of history the trend charts and `/api/stats?range=` may cover.'),
    heartbeatMs: ms(15_000, 'Comment line sent on idle `/api/events` streams so proxies keep them open.'),
  })
  .prefault({});
