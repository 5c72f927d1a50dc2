import { describe, expect, it } from 'vitest';
import { notificationsSchema } from '../../../src/config/schema-ops.js';
import { TpError } from '../../../src/errors/index.js';
import {
  composeMessage,
  escapeHtml,
  escapeMrkdwn,
  resolveChannels,
} from '../../../src/notifications/index.js';

const settings = (channels: unknown[]) => notificationsSchema.parse({ channels });

describe('resolveChannels', () => {
  it('reads env:NAME values, names unnamed channels by type and index, and lists every secret', () => {
    const { channels, secrets } = resolveChannels(
      settings([
        { type: 'slack', url: 'env:SLACK_URL' },
        { name: 'signed', type: 'webhook', url: 'https://hooks.example.test/in', secret: 'env:HOOK_KEY' },
        {
          type: 'email',
          smtp: { host: 'mail.test', pass: 'env:MAIL_PASS', user: 'u' },
          to: ['a@b.c'],
          events: ['digest'],
        },
      ]),
      {
        SLACK_URL: 'https://hooks.slack.test/services/T0/B0/XYZ',
        HOOK_KEY: 'k3y-value',
        MAIL_PASS: 'p4ss-value',
      },
    );
    expect(channels.map((c) => c.name)).toEqual(['slack#0', 'signed', 'email#2']);
    expect(channels[0]!.url).toBe('https://hooks.slack.test/services/T0/B0/XYZ');
    expect(channels[1]!.secret).toBe('k3y-value');
    expect(channels[2]!.smtp?.pass).toBe('p4ss-value');
    expect(channels[2]!.from).toBe('ticket-processor@mail.test');
    expect([...channels[2]!.events]).toEqual(['digest']);
    expect(secrets.sort()).toEqual(
      ['https://hooks.slack.test/services/T0/B0/XYZ', 'k3y-value', 'p4ss-value'].sort(),
    );
  });

  it('fails with CONFIG_INVALID naming the channel and the variable when it is not set', () => {
    const run = () =>
      resolveChannels(
        settings([{ name: 'alerts', type: 'webhook', url: 'https://x.test/', secret: 'env:NOPE' }]),
        {},
      );
    expect(run).toThrow(TpError);
    try {
      run();
    } catch (err) {
      expect(err).toMatchObject({ code: 'CONFIG_INVALID' });
      expect((err as Error).message).toContain('alerts');
      expect((err as Error).message).toContain('NOPE');
    }
  });
});

describe('messages', () => {
  it('escapes untrusted text for Slack mrkdwn and HTML', () => {
    expect(escapeMrkdwn('<!channel> & <http://evil|click>')).toBe(
      '&lt;!channel&gt; &amp; &lt;http://evil|click&gt;',
    );
    expect(escapeHtml(`<img src=x onerror="a">'`)).toBe('&lt;img src=x onerror=&quot;a&quot;&gt;&#39;');
  });

  it('redacts secrets and flattens multi-line reasons into one line', () => {
    const m = composeMessage(
      'task.failed',
      [
        {
          event: 'task.failed',
          at: '2026-01-01T00:00:00.000Z',
          taskId: '3',
          reason: 'push to https://bot:tok@git.test/r.git failed\nremote: token sekrit-value-1 rejected',
          code: 'PUSH_FAILED',
        },
      ],
      ['sekrit-value-1'],
    );
    expect(m.subject).toBe('Task 3 failed');
    expect(m.lines[0]!.text).toBe(
      'Task 3 failed: push to https://***@git.test/r.git failed remote: token *** rejected [PUSH_FAILED]',
    );
    expect(m.lines[0]!.hint).toMatch(/retry-failed --task-id 3/);
  });
});
