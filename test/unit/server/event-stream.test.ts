import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { TpServer } from '../../../src/server/index.js';
import { dashboardDeps, SECRET } from './dashboard-support.js';
import { harness } from './helpers.js';

/** An open SSE response: the raw text so far, and a way to wait for more. */
interface Stream {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: () => string;
  until: (pred: (text: string) => boolean) => Promise<string>;
  closed: Promise<void>;
  close: () => void;
}

function openStream(url: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      let text = '';
      const waiters: Array<() => void> = [];
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        for (const w of waiters.splice(0)) w();
      });
      const closed = new Promise<void>((r) => res.on('close', () => r()));
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        text: () => text,
        until: (pred) =>
          new Promise((done) => {
            const check = () => (pred(text) ? done(text) : waiters.push(check));
            check();
          }),
        closed,
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

const servers: TpServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function listening(over: Parameters<typeof dashboardDeps>[0] = {}, token?: string, host = '127.0.0.1') {
  const deps = dashboardDeps(over);
  const h = harness({ dashboard: deps, ...(token ? { apiToken: token } : {}) });
  servers.push(h.server);
  const { port } = await h.server.listen(0, host);
  return { deps, url: `http://127.0.0.1:${port}` };
}

const listeners = (bus: object) => (bus as { anyListeners: Set<unknown> }).anyListeners.size;

describe('GET /api/events (real socket)', () => {
  it('sends one `event:` + `data:` frame per bus event, JSON, secrets redacted', async () => {
    const { deps, url } = await listening();
    const s = await openStream(`${url}/api/events`);
    expect(s.status).toBe(200);
    expect(s.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(s.headers['cache-control']).toBe('no-store');
    await s.until((t) => t.includes(': connected'));
    deps.bus.emit('task.stage', { taskId: '5', file: 'task-5.md', stage: 'agent', elapsedMs: 120 });
    deps.bus.emit('task.failed', {
      taskId: '5',
      code: 'AGENT_FAILED',
      error: `line one\nuses ${SECRET} at http://user:pw@host.example/x`,
      retryable: false,
      elapsedMs: 900,
    });
    const text = await s.until((t) => t.includes('event: task.failed'));
    const frames = text.split('\n\n').filter((f) => f.startsWith('event:'));
    expect(frames[0]).toBe(
      'event: task.stage\ndata: {"taskId":"5","file":"task-5.md","stage":"agent","elapsedMs":120}',
    );
    const [head, data, ...rest] = (frames[1] ?? '').split('\n');
    expect(head).toBe('event: task.failed');
    expect(rest).toEqual([]);
    const payload = JSON.parse((data ?? '').replace(/^data: /, ''));
    expect(payload.error).toBe('line one\nuses *** at http://***@host.example/x');
    expect(text).not.toContain(SECRET);
    s.close();
  });

  it('sends a heartbeat comment every monitoring.heartbeatMs', async () => {
    const { url } = await listening({ heartbeatMs: 50 });
    const s = await openStream(`${url}/api/events`);
    const text = await s.until((t) => t.split(': heartbeat\n\n').length > 3);
    expect(text.match(/: heartbeat\n\n/g)?.length).toBeGreaterThanOrEqual(3);
    s.close();
  });

  it('unsubscribes from the bus when the client goes away', async () => {
    const { deps, url } = await listening();
    const before = listeners(deps.bus);
    const s = await openStream(`${url}/api/events`);
    await s.until((t) => t.includes(': connected'));
    expect(listeners(deps.bus)).toBe(before + 1);
    s.close();
    await expect.poll(() => listeners(deps.bus)).toBe(before);
  });

  it('drops a client that stops reading once its buffer passes the cap', async () => {
    const { deps, url } = await listening({ maxStreamBufferBytes: 64 * 1024 });
    const { port } = new URL(url);
    const socket = net.connect(Number(port), '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    // Read the headers, then never read again.
    await new Promise<void>((r) => socket.once('data', () => r()));
    socket.pause();
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('error', () => {});
    await expect.poll(() => listeners(deps.bus)).toBe(1);
    const chunk = 'x'.repeat(32 * 1024);
    let sent = 0;
    while (listeners(deps.bus) > 0 && sent < 10_000) {
      deps.bus.emit('attempt.output', { taskId: '1', attemptNumber: 1, chunk });
      sent++;
      await new Promise((r) => setImmediate(r));
    }
    expect(listeners(deps.bus)).toBe(0);
    // Bounded: the kernel buffers plus the cap, far below what was emitted.
    expect(sent).toBeLessThan(10_000);
    socket.resume();
    await closed;
  });

  it('beyond loopback takes the token as ?token= (EventSource sends no headers)', async () => {
    const { deps, url } = await listening({}, 'stream-token-1', '0.0.0.0');
    expect((await openStream(`${url}/api/events`)).status).toBe(401);
    expect((await openStream(`${url}/api/events?token=nope`)).status).toBe(401);
    const s = await openStream(`${url}/api/events?token=stream-token-1`);
    expect(s.status).toBe(200);
    await s.until((t) => t.includes(': connected'));
    deps.bus.emit('breaker.closed', { host: 'http://127.0.0.1:11434' });
    await s.until((t) => t.includes('event: breaker.closed'));
    s.close();
  });

  it('ends open streams when the server closes', async () => {
    const { url } = await listening();
    const s = await openStream(`${url}/api/events`);
    await s.until((t) => t.includes(': connected'));
    await servers.pop()?.close();
    await s.closed;
  });
});
