import { createHmac } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { Outgoing, ResolvedChannel } from './types.js';

/*
 * One try of one delivery. Each try is bounded: HTTP by AbortSignal.timeout, SMTP by
 * nodemailer's connection, greeting and socket timeouts. `signal` is the notifier's shutdown.
 */

/** `sha256=<hex>` of the exact body bytes, the scheme of our incoming webhooks (X-Hub-Signature-256). */
export function signBody(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** An error's message with its cause's code (fetch says only "fetch failed"). */
function describe(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && err.name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause as { code?: string; message?: string } | undefined;
  const detail = cause?.code ?? cause?.message;
  return detail && !err.message.includes(detail) ? `${err.message}: ${detail}` : err.message;
}

async function sendHttp(
  url: string,
  out: Extract<Outgoing, { kind: 'http' }>,
  secret: string | undefined,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  const body = Buffer.from(out.body, 'utf8');
  const headers: Record<string, string> = { 'user-agent': 'ticket-processor', ...out.headers };
  if (secret) headers['x-tp-signature'] = signBody(body, secret);
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body,
    signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), signal]),
    redirect: 'error',
  });
  // Read the answer so the connection is released; only its status matters.
  const text = await res.text().catch(() => '');
  if (!res.ok) throw new Error(`HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`);
}

async function sendMail(
  channel: ResolvedChannel,
  out: Extract<Outgoing, { kind: 'mail' }>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  const smtp = channel.smtp!;
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.pass ?? '' } } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  // nodemailer takes no AbortSignal: on shutdown the try is given up and the transport closed.
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([
      transport.sendMail({
        from: channel.from,
        to: channel.to,
        subject: out.subject,
        text: out.text,
        html: out.html,
      }),
      aborted,
    ]);
  } finally {
    signal.removeEventListener('abort', onAbort);
    transport.close();
  }
}

/** Sends once; throws an Error whose message says why (not yet redacted). */
export async function sendOnce(
  channel: ResolvedChannel,
  out: Outgoing,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  try {
    if (signal.aborted) throw new Error('notifier closed');
    if (out.kind === 'mail') await sendMail(channel, out, timeoutMs, signal);
    else
      await sendHttp(
        channel.url!,
        out,
        channel.type === 'webhook' ? channel.secret : undefined,
        timeoutMs,
        signal,
      );
  } catch (err) {
    throw new Error(
      signal.aborted ? 'notifier closed before the delivery finished' : describe(err, timeoutMs),
    );
  }
}
