import { describe, expect, it } from 'vitest';
import { TpError } from '../../../src/errors/index.js';
import { harness } from './helpers.js';

describe('GET /health', () => {
  it('returns the original shape', async () => {
    const h = harness();
    const res = await h.server.app.inject({ url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', queueSize: 2, queuePending: 1, processing: ['task-5.md'] });
  });

  it('answers 503 when the report says error or the source throws', async () => {
    const down = harness({
      health: () => ({
        status: 'error',
        queueSize: 0,
        queuePending: 0,
        processing: [],
        reason: 'store closed',
      }),
    });
    const res = await down.server.app.inject({ url: '/health' });
    expect(res.statusCode).toBe(503);
    expect(res.json().reason).toBe('store closed');
    const broken = harness({
      health: () => {
        throw new Error('nope');
      },
    });
    const b = await broken.server.app.inject({ url: '/health' });
    expect(b.statusCode).toBe(503);
    expect(b.json()).toEqual({ status: 'error', message: 'health check failed' });
  });
});

describe('GET /health/ollama', () => {
  it('is 404 without a source, 200 when up, 503 when down', async () => {
    expect((await harness().server.app.inject({ url: '/health/ollama' })).statusCode).toBe(404);
    const hosts = [{ url: 'http://127.0.0.1:11434', state: 'CLOSED', latencyMs: 12 }];
    const up = harness({ ollamaHealth: async () => ({ status: 'ok', hosts }) });
    const res = await up.server.app.inject({ url: '/health/ollama' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', hosts });
    const down = harness({ ollamaHealth: () => ({ status: 'down', hosts: [] }) });
    expect((await down.server.app.inject({ url: '/health/ollama' })).statusCode).toBe(503);
  });
});

describe('POST /api/tasks', () => {
  const created: unknown[] = [];
  const createTask = async (input: unknown) => {
    const title = (input as { title?: unknown } | null)?.title;
    if (typeof title !== 'string' || title === '') {
      throw new TpError('task is invalid', {
        code: 'TASK_INVALID',
        details: { problems: [{ message: 'title is required', line: 2 }] },
      });
    }
    created.push(input);
    return { id: '7', file: 'task-7.md' };
  };

  it('creates a task (201) and reports problems (400)', async () => {
    const h = harness({ createTask });
    const ok = await h.server.app.inject({
      method: 'POST',
      url: '/api/tasks',
      payload: { title: 'Add login' },
    });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toEqual({ status: 'created', id: '7', file: 'task-7.md' });
    expect(created).toEqual([{ title: 'Add login' }]);
    const bad = await h.server.app.inject({
      method: 'POST',
      url: '/api/tasks',
      payload: { priority: 'high' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({
      status: 'invalid',
      message: 'task is invalid',
      problems: [{ message: 'title is required', line: 2 }],
    });
  });

  it('rejects malformed JSON (400), other types (415) and hides internal errors (500)', async () => {
    const h = harness({ createTask });
    const malformed = await h.server.app.inject({
      method: 'POST',
      url: '/api/tasks',
      payload: '{"title":',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.statusCode).toBe(400);
    const text = await h.server.app.inject({
      method: 'POST',
      url: '/api/tasks',
      payload: 'title: x',
      headers: { 'content-type': 'text/yaml' },
    });
    expect(text.statusCode).toBe(415);
    const failing = harness({
      createTask: async () => {
        throw new Error('EACCES: /home/me/secret/path');
      },
    });
    const res = await failing.server.app.inject({
      method: 'POST',
      url: '/api/tasks',
      payload: { title: 'x' },
    });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('/home/me');
  });

  it('requires the bearer token when one is configured', async () => {
    const h = harness({ createTask, apiToken: 'tok-123' });
    const payload = { title: 'Add login' };
    const none = await h.server.app.inject({ method: 'POST', url: '/api/tasks', payload });
    expect(none.statusCode).toBe(401);
    const wrong = await h.server.app.inject({
      method: 'POST',
      url: '/api/tasks',
      payload,
      headers: { authorization: 'Bearer tok-12' },
    });
    expect(wrong.statusCode).toBe(401);
    const right = await h.server.app.inject({
      method: 'POST',
      url: '/api/tasks',
      payload,
      headers: { authorization: 'Bearer tok-123' },
    });
    expect(right.statusCode).toBe(201);
  });

  it('is absent when no createTask is given', async () => {
    const res = await harness().server.app.inject({ method: 'POST', url: '/api/tasks', payload: {} });
    expect(res.statusCode).toBe(404);
  });
});

describe('GET /metrics', () => {
  it('serves the Prometheus text with its content type', async () => {
    const h = harness({ metrics: async () => '# TYPE tp_tasks_total counter\ntp_tasks_total 3\n' });
    const res = await h.server.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.body).toContain('tp_tasks_total 3');
  });

  it('is 404 without a source and 500 when collection fails', async () => {
    expect((await harness().server.app.inject({ url: '/metrics' })).statusCode).toBe(404);
    const h = harness({
      metrics: async () => {
        throw new Error('collector broke');
      },
    });
    const res = await h.server.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('collector broke');
  });
});

describe('Host header check (DNS rebinding)', () => {
  it('answers loopback names and allowed hosts with any port, and 421 for other names', async () => {
    const h = harness({ allowedHosts: ['tp.example.com', 'Proxy.Example.com:8443'] });
    const status = async (host: string) =>
      (await h.server.app.inject({ url: '/health', headers: { host } })).statusCode;
    for (const ok of [
      'localhost',
      'localhost:3001',
      '127.0.0.1:80',
      '127.1.2.3',
      '[::1]:3001',
      'tp.example.com',
      'TP.EXAMPLE.COM.:9',
      'proxy.example.com',
    ]) {
      expect(await status(ok), ok).toBe(200);
    }
    for (const bad of ['evil.example', 'localhost.evil.example', '127.0.0.1.nip.io', 'example.com']) {
      expect(await status(bad), bad).toBe(421);
    }
    const res = await h.server.app.inject({ url: '/nope', headers: { host: 'evil.example<script>' } });
    expect(res.statusCode).toBe(421);
    expect(res.json()).toMatchObject({ code: 'HOST_NOT_ALLOWED' });
    expect(res.body).not.toContain('<script>');
  });
});

describe('POST /api/tasks answers without absolute paths', () => {
  it('returns the file name, and strips paths from problem messages', async () => {
    const ok = harness({ createTask: async () => ({ id: '7', file: '/srv/tp/backlog/todo/task-7 - X.md' }) });
    const created = await ok.server.app.inject({ method: 'POST', url: '/api/tasks', payload: {} });
    expect(created.json()).toEqual({ status: 'created', id: '7', file: 'task-7 - X.md' });
    const bad = harness({
      createTask: async () => {
        throw new TpError('Task id 7 exists: /srv/tp/backlog/review/task-7 - X.md', {
          code: 'TASK_INVALID',
          details: { problems: [{ message: 'see "/srv/tp/backlog/review/task-7.md" and http://x/y/z' }] },
        });
      },
    });
    const res = await bad.server.app.inject({ method: 'POST', url: '/api/tasks', payload: {} });
    expect(res.statusCode).toBe(400);
    expect(res.body).not.toContain('/srv/tp');
    expect(res.json()).toMatchObject({
      message: 'Task id 7 exists: task-7 - X.md',
      problems: [{ message: 'see "task-7.md" and http://x/y/z' }],
    });
  });
});
