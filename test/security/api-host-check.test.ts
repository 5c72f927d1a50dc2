import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppUnderTest, startApp } from './webhook-harness.js';

/*
 * Finding 11 (DNS rebinding): a web page on evil.example whose name is made to resolve to
 * 127.0.0.1 can have the browser talk to the service as a "same-origin" site. Browsers send
 * the page's name in `Host`, so the server answers only for the names it is reached by:
 * loopback names, the bind address and webhook.allowedHosts.
 */

/** A request with a Host header of our choosing (fetch does not let one be set). */
function request(
  url: string,
  pathname: string,
  host: string,
  method = 'GET',
): Promise<{ status: number; body: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: Number(port),
        path: pathname,
        method,
        headers: { host, 'content-type': 'application/json' },
      },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(method === 'POST' ? '{}' : undefined);
  });
}

describe('Host header check', () => {
  let t: AppUnderTest;
  let port: string;

  beforeAll(async () => {
    t = await startApp(undefined, { webhook: { allowedHosts: ['tp.example.com'] } });
    port = new URL(t.url).port;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses a foreign Host on every route, naming the setting', async () => {
    for (const [method, path] of [
      ['GET', '/health'],
      ['GET', '/metrics'],
      ['POST', '/api/tasks'],
      ['POST', '/webhook'],
    ] as const) {
      for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1.evil.example:${port}`]) {
        const res = await request(t.url, path, host, method);
        expect(res.status, `${method} ${path} Host ${host}`).toBe(421);
        expect(res.body).toContain('webhook.allowedHosts');
      }
    }
  });

  it('answers for loopback names, the bind address and allowed names, with any port', async () => {
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `[::1]:${port}`,
      'tp.example.com',
      'TP.example.com:8443',
    ]) {
      const res = await request(t.url, '/health', host);
      expect(res.status, host).toBe(200);
    }
  });
});
