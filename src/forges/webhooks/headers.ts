/** Incoming HTTP headers as Node (and fastify) hand them over: lower-cased names. */
export type WebhookHeaders = Record<string, string | string[] | undefined>;

/** The forges whose webhooks we understand. Forgejo speaks the Gitea dialect. */
export type WebhookForge = 'gitea' | 'github' | 'gitlab';

/**
 * One header value, or `undefined` when absent. A header sent twice is treated as absent:
 * two signatures (or two event names) on one request are ambiguous, and guessing which one
 * counts is how verification bypasses happen.
 */
export function header(headers: WebhookHeaders, name: string): string | undefined {
  const lower = name.toLowerCase();
  let value = headers[lower];
  if (value === undefined) {
    // Callers outside Node's HTTP stack may pass mixed-case names.
    for (const [k, v] of Object.entries(headers)) {
      if (k.toLowerCase() === lower) {
        value = v;
        break;
      }
    }
  }
  if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
  return value;
}

/**
 * Which forge sent this request, judged by its headers. Gitea and Forgejo also send the
 * GitHub and Gogs headers for compatibility, so their own headers are checked first.
 */
export function detectForge(headers: WebhookHeaders): WebhookForge | undefined {
  const has = (name: string) => header(headers, name) !== undefined;
  if (
    has('x-gitea-event') ||
    has('x-forgejo-event') ||
    has('x-gitea-signature') ||
    has('x-forgejo-signature')
  )
    return 'gitea';
  if (has('x-gitlab-event') || has('x-gitlab-token')) return 'gitlab';
  if (has('x-github-event') || has('x-hub-signature-256')) return 'github';
  return undefined;
}

/**
 * The id a forge gives a delivery, stable across its own retries, so a replay store can
 * process each event once. GitLab's `Idempotency-Key` is preferred over its event UUID
 * because only the former is documented to stay the same when GitLab retries.
 */
export function deliveryId(headers: WebhookHeaders): string | undefined {
  const names = [
    'x-gitea-delivery',
    'x-forgejo-delivery',
    'x-github-delivery',
    ...(header(headers, 'x-gitlab-event') !== undefined ? ['idempotency-key'] : []),
    'x-gitlab-event-uuid',
  ];
  for (const name of names) {
    const value = header(headers, name)?.trim();
    // Bounded and printable: the id lands in a log line and a store key.
    if (value && value.length <= 200 && /^[\x21-\x7e]+$/.test(value)) return value;
  }
  return undefined;
}

/** The event name the forge put in its headers (`pull_request`, `Merge Request Hook`, …). */
export function eventName(forge: WebhookForge, headers: WebhookHeaders): string | undefined {
  switch (forge) {
    case 'gitea':
      return header(headers, 'x-gitea-event') ?? header(headers, 'x-forgejo-event');
    case 'github':
      return header(headers, 'x-github-event');
    case 'gitlab':
      return header(headers, 'x-gitlab-event');
  }
}
