import type { NotificationEventName } from '../config/index.js';
import { TpError } from '../errors/index.js';
import type { NotificationsConfig, ResolvedChannel } from './types.js';

const ENV_REF = /^env:([A-Za-z_]\w*)$/;

/**
 * Reads the `env:NAME` values of the configured channels from `env` (the environment the app
 * was given, never process.env here). Returns the channels and every secret value among them
 * (webhook secrets, SMTP passwords, Slack URLs, which are credentials themselves, and any URL
 * read from the environment) for the app's redaction list.
 *
 * @throws TpError CONFIG_INVALID naming the channel and the variable when one is not set.
 */
export function resolveChannels(
  notifications: NotificationsConfig,
  env: Record<string, string | undefined>,
): { channels: ResolvedChannel[]; secrets: string[] } {
  const secrets = new Set<string>();
  const channels = notifications.channels.map((c, index): ResolvedChannel => {
    const name = c.name ?? `${c.type}#${index}`;
    const read = (value: string | undefined, field: string, secret: boolean): string | undefined => {
      if (value === undefined) return undefined;
      const ref = ENV_REF.exec(value);
      if (!ref) {
        if (secret) secrets.add(value);
        return value;
      }
      const v = env[ref[1]!];
      if (!v)
        throw new TpError(
          `notifications channel "${name}": ${field} is env:${ref[1]}, but the environment variable ${ref[1]} is not set`,
          {
            code: 'CONFIG_INVALID',
            hint: `Set ${ref[1]} in the environment or in .env beside config.json, or remove the channel.`,
          },
        );
      // A value kept out of config.json is treated as a credential, whatever the field.
      secrets.add(v);
      return v;
    };
    const smtp = c.smtp;
    return {
      name,
      type: c.type,
      url: read(c.url, 'url', c.type === 'slack'),
      secret: read(c.secret, 'secret', true),
      smtp: smtp && {
        host: smtp.host,
        port: smtp.port,
        secure: smtp.secure,
        user: smtp.user,
        pass: read(smtp.pass, 'smtp.pass', true),
      },
      from: c.from ?? (smtp ? `ticket-processor@${smtp.host}` : undefined),
      to: c.to ?? [],
      events: new Set<NotificationEventName>(c.events),
    };
  });
  return { channels, secrets: [...secrets].filter((s) => s.length >= 4) };
}
