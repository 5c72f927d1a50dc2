import type { FastifyInstance } from 'fastify';
import { type Access, refuse } from './access.js';
import type { DashboardDeps } from './types.js';

const DEFAULT_MAX_BUFFER = 1024 * 1024;

/** One SSE frame: `event: <name>` and one `data:` line (JSON never holds a raw newline). */
export function sseFrame(name: string, data: string): string {
  return `event: ${name.replace(/[^\w.:-]/g, '')}\ndata: ${data}\n\n`;
}

/**
 * `GET /api/events`: every event of the bus as server-sent events, string values redacted.
 * A client that stops reading is dropped once its unsent data passes the buffer cap, so a
 * slow or stalled browser cannot grow the server's memory. Streams end when the server closes.
 */
export function eventStreamRoute(app: FastifyInstance, d: DashboardDeps, access: Access): void {
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });
  const maxBuffer = d.maxStreamBufferBytes ?? DEFAULT_MAX_BUFFER;

  app.get('/api/events', async (req, reply) => {
    const { token } = (req.query ?? {}) as { token?: unknown };
    const refusal = access.read(req, typeof token === 'string' ? token : undefined);
    if (refusal) return refuse(reply, refusal);

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // Reverse proxies (nginx) would otherwise hold the stream back.
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    res.write('retry: 3000\n: connected\n\n');

    let closed = false;
    const cleanup = () => {
      if (closed) return;
      closed = true;
      off();
      if (heartbeat) clearInterval(heartbeat);
      open.delete(end);
    };
    const end = () => {
      cleanup();
      res.end();
    };
    const send = (chunk: string) => {
      if (closed) return;
      if (res.writableLength > maxBuffer) {
        req.log.warn({ buffered: res.writableLength }, 'event stream client too slow: dropped');
        cleanup();
        res.destroy();
        return;
      }
      res.write(chunk);
    };
    const off = d.subscribe((name, payload) => {
      const data = JSON.stringify(payload ?? {}, (_k, v: unknown) =>
        typeof v === 'string' ? d.redact(v) : v,
      );
      send(sseFrame(name, data));
    });
    const heartbeat =
      d.heartbeatMs > 0 ? setInterval(() => send(': heartbeat\n\n'), d.heartbeatMs) : undefined;
    heartbeat?.unref();
    open.add(end);
    res.on('close', cleanup);
    res.on('error', cleanup);
  });
}
