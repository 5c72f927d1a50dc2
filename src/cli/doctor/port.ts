import { createServer } from 'node:net';
import type { Config } from '../../config/index.js';
import { type Check, fail, ok, reason } from './types.js';

function tryBind(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(undefined)));
  });
}

/** The HTTP port is free to bind, or already ours: a running instance answers `/health`. */
export async function checkPort(config: Config): Promise<Check> {
  const { enabled, host, port } = config.webhook;
  if (!enabled) return ok('webhook port', 'HTTP server disabled (webhook.enabled false)');
  if (port === 0) return ok('webhook port', 'any free port (webhook.port 0)');
  const what = `webhook port ${host}:${port}`;
  const err = await tryBind(host, port);
  if (!err) return ok(what, 'free');
  if (err.code !== 'EADDRINUSE')
    return fail(
      what,
      `cannot bind: ${reason(err)}`,
      'set webhook.host to an address of this machine, or a port above 1023',
    );
  const probeHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  try {
    const res = await fetch(
      `http://${probeHost.includes(':') ? `[${probeHost}]` : probeHost}:${port}/health`,
      {
        signal: AbortSignal.timeout(2_000),
      },
    );
    const body = (await res.json().catch(() => undefined)) as
      | { status?: unknown; queueSize?: unknown }
      | undefined;
    if (body && typeof body.status === 'string' && 'queueSize' in body)
      return ok(what, `in use by a running ticket-processor (health: ${body.status})`);
  } catch {
    // Not HTTP, or not us: reported below.
  }
  return fail(
    what,
    'in use by another program',
    'stop it, or set webhook.port (or `start --port`) to a free port',
  );
}
