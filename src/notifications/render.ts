import { escapeHtml, escapeMrkdwn } from './message.js';
import type { Message, MessageLine, Outgoing, ResolvedChannel } from './types.js';

/*
 * A message in each channel's format. Lines are cleaned plain text (message.ts); here they are
 * escaped for the format that interprets them (Slack mrkdwn, HTML), and left alone where nothing
 * does (JSON, plain text).
 */

/** Slack limits: 150 characters in a header, 3000 in a section's text, 50 blocks. */
const SLACK_HEADER = 150;
const SLACK_SECTION = 2_900;
const SLACK_SECTIONS = 45;

const mrkdwnLink = (l: NonNullable<MessageLine['link']>) =>
  // `|` and `>` end the URL part of a Slack link; a URL from a forge has no reason to hold them.
  `<${l.url.replace(/[|>]/g, encodeURIComponent)}|${escapeMrkdwn(l.label)}>`;

function slackLine(l: MessageLine): string {
  let s = `• ${escapeMrkdwn(l.text)}`;
  if (l.link) s += ` ${mrkdwnLink(l.link)}`;
  if (l.hint) s += `\n   _What to do:_ ${escapeMrkdwn(l.hint)}`;
  return s;
}

function slack(m: Message): Outgoing {
  const sections: string[] = [];
  let current = '';
  for (const line of m.lines.map(slackLine)) {
    if (current && current.length + line.length + 1 > SLACK_SECTION) {
      sections.push(current);
      current = '';
    }
    current = current ? `${current}\n${line}` : line.slice(0, SLACK_SECTION);
  }
  if (current) sections.push(current);
  const kept = sections.slice(0, SLACK_SECTIONS);
  if (sections.length > kept.length) kept.push(`…and more (${sections.length - kept.length} sections cut)`);
  const header = m.subject.length > SLACK_HEADER ? `${m.subject.slice(0, SLACK_HEADER - 1)}…` : m.subject;
  const body = {
    text: escapeMrkdwn(m.subject),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: header } },
      ...kept.map((text) => ({ type: 'section', text: { type: 'mrkdwn', text } })),
      { type: 'context', elements: [{ type: 'mrkdwn', text: escapeMrkdwn(m.next) }] },
    ],
  };
  return { kind: 'http', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
}

function plainLines(m: Message): string[] {
  const out: string[] = [];
  for (const l of m.lines) {
    out.push(`- ${l.text}${l.link ? ` ${l.link.url}` : ''}`);
    if (l.hint) out.push(`  What to do: ${l.hint}`);
  }
  return out;
}

function webhook(m: Message, delivery: string, sentAt: string): Outgoing {
  const body = {
    delivery,
    event: m.event,
    subject: m.subject,
    count: m.items.length,
    text: plainLines(m).join('\n'),
    next: m.next,
    items: m.items,
    sentAt,
  };
  return {
    kind: 'http',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', 'x-tp-event': m.event, 'x-tp-delivery': delivery },
  };
}

/** HTTP header values must be Latin-1; titles keep to printable ASCII. */
const headerSafe = (s: string) => s.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);

function ntfy(m: Message): Outgoing {
  const headers: Record<string, string> = {
    'content-type': 'text/plain; charset=utf-8',
    title: headerSafe(m.subject),
    priority: m.priority,
    tags: m.tags.join(','),
  };
  const link = m.lines.length === 1 ? m.lines[0]!.link : undefined;
  if (link) headers.click = headerSafe(link.url);
  return { kind: 'http', body: [...plainLines(m), '', m.next].join('\n'), headers };
}

function email(m: Message): Outgoing {
  const text = [m.subject, '', ...plainLines(m), '', m.next, ''].join('\n');
  const items = m.lines
    .map((l) => {
      const link = l.link ? ` <a href="${escapeHtml(l.link.url)}">${escapeHtml(l.link.label)}</a>` : '';
      const hint = l.hint ? `<br><em>What to do:</em> ${escapeHtml(l.hint)}` : '';
      return `<li>${escapeHtml(l.text)}${link}${hint}</li>`;
    })
    .join('\n');
  const html = `<!doctype html><html><body><h2>${escapeHtml(m.subject)}</h2>\n<ul>\n${items}\n</ul>\n<p>${escapeHtml(m.next)}</p></body></html>`;
  return { kind: 'mail', subject: `[ticket-processor] ${m.subject}`, text, html };
}

/** The message as `channel` sends it; `delivery` is the id receivers may use to drop repeats. */
export function renderFor(channel: ResolvedChannel, m: Message, delivery: string, sentAt: string): Outgoing {
  switch (channel.type) {
    case 'slack':
      return slack(m);
    case 'webhook':
      return webhook(m, delivery, sentAt);
    case 'ntfy':
      return ntfy(m);
    case 'email':
      return email(m);
  }
}
