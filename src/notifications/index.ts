/**
 * Notifications: Slack, signed JSON webhooks, email and ntfy-style pushes about failures,
 * reviews held for attention, PRs opened and merged, hosts down and a daily digest.
 */
export { type Clock, systemClock } from './clock.js';
export { failureHintsFrom } from './hints.js';
export { clean, composeMessage, escapeHtml, escapeMrkdwn } from './message.js';
export { Notifier, type NotifierOptions } from './notifier.js';
export { renderFor } from './render.js';
export { resolveChannels } from './resolve.js';
export { signBody } from './send.js';
export type {
  DigestCounts,
  Message,
  NotificationItem,
  NotificationsConfig,
  NotifierLogger,
  Outgoing,
  ResolvedChannel,
} from './types.js';
