import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { notificationsSchema } from '../../../src/config/schema-ops.js';
import { EventBus, type TpEvents } from '../../../src/events/index.js';
import { type Clock, Notifier, resolveChannels } from '../../../src/notifications/index.js';
import { SqliteStore } from '../../../src/store/index.js';
import { tmpDir } from '../../helpers/project.js';

/*
 * Real receivers for the notification tests: an HTTP server recording what it is sent (Slack,
 * webhook and ntfy channels), the smtp-server package as the mail end, and a manual clock for
 * the notifier's timers (the sockets stay on real time).
 */

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Recorder {
  url: string;
  requests: RecordedRequest[];
  /** Resolves once `n` requests arrived (whatever their path). */
  waitFor(n: number): Promise<void>;
  close(): Promise<void>;
}

async function listen(server: Server | SMTPServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const s = server as unknown as { address(): AddressInfo; server?: { address(): AddressInfo } };
  return (s.server ?? s).address().port;
}

/**
 * An HTTP receiver. `hang`: reads the request and never answers (a dead service that still
 * accepts connections). `status`: the answer's status (default 200).
 */
export async function startRecorder(options: { status?: number; hang?: boolean } = {}): Promise<Recorder> {
  const requests: RecordedRequest[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      for (const w of waiters.filter((x) => requests.length >= x.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      if (options.hang) return;
      res.writeHead(options.status ?? 200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    waitFor: (n) =>
      requests.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound once, then closed). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  user: string | undefined;
}

/** smtp-server on a free port, plain (STARTTLS disabled), auth optional; `pass` is accepted for user `tp`. */
export async function startSmtp(pass = 'smtp-pass-not-used'): Promise<{
  port: number;
  mails: ReceivedMail[];
  waitFor(n: number): Promise<void>;
  close(): Promise<void>;
}> {
  const mails: ReceivedMail[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'tp' && auth.password === pass) cb(null, { user: 'tp' });
      else cb(new Error('invalid credentials'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          user: session.user as string | undefined,
        });
        for (const w of waiters.filter((x) => mails.length >= x.n)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
        cb();
      });
    },
  });
  const port = await listen(server);
  return {
    port,
    mails,
    waitFor: (n) =>
      mails.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The text of a MIME mail with quoted-printable soft breaks and escapes undone (enough for assertions). */
export function mailText(raw: string): string {
  return raw
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
}

/**
 * A clock the test moves. `advance` fires due timers in time order, letting promise callbacks
 * run between them; `runUntil` also waits (in real time) for socket I/O between timers.
 */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = Date.UTC(2026, 0, 5, 12, 0, 0)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** How many timers wait. */
  get pending(): number {
    return this.timers.size;
  }

  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      const next = this.nextDue(target);
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
      await settle();
    }
    this.t = target;
    await settle();
  }

  /**
   * Moves time from timer to timer (and waits for I/O in between) until `done()` holds. Only
   * timers due within `horizonMs` fire (backoff sleeps), not tomorrow's digest.
   */
  async runUntil(done: () => boolean, horizonMs = 60_000, maxRealMs = 10_000): Promise<void> {
    const stopAt = Date.now() + maxRealMs;
    while (!done()) {
      if (Date.now() > stopAt) throw new Error('runUntil: condition not reached');
      const next = this.nextDue(this.t + horizonMs);
      if (next) await this.advance(next[1].at - this.t);
      else await new Promise((r) => setTimeout(r, 5));
    }
  }

  private nextDue(limit: number): [number, { at: number; fn: () => void }] | undefined {
    let best: [number, { at: number; fn: () => void }] | undefined;
    for (const e of this.timers) if (e[1].at <= limit && (!best || e[1].at < best[1].at)) best = e;
    return best;
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
}

/**
 * A started Notifier on a fresh store and bus, with `settings` parsed by the real schema; its
 * `close` (notifier, then store) goes into `cleanups`. `failures` collects notification.failed.
 */
export function startNotifier(
  settingsInput: Record<string, unknown>,
  options: { clock: Clock; cleanups: Array<() => Promise<void> | void>; prefix?: string },
) {
  const settings = notificationsSchema.parse(settingsInput);
  const store = new SqliteStore(path.join(tmpDir(options.prefix ?? 'tp-notif-'), 'state.db'));
  const events = new EventBus();
  const failures: TpEvents['notification.failed'][] = [];
  const sent: TpEvents['notification.sent'][] = [];
  events.on('notification.failed', (e) => failures.push(e));
  events.on('notification.sent', (e) => sent.push(e));
  const notifier = new Notifier({
    settings,
    channels: resolveChannels(settings, {}).channels,
    events,
    store,
    secrets: [],
    clock: options.clock,
  });
  notifier.start();
  options.cleanups.push(async () => {
    await notifier.close();
    store.close();
  });
  return { settings, store, events, notifier, failures, sent };
}
