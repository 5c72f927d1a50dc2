import { describe, expect, it } from 'vitest';
import { folderContents, makeProject } from '../../helpers/project.js';
import { startServe, waitFor } from '../../helpers/serve.js';

describe('start with the HTTP server', () => {
  it('takes tasks from POST /api/tasks, and serves /health and Prometheus /metrics', async () => {
    const { root } = await makeProject({
      webhook: { enabled: true, port: 0 },
      agent: { type: 'command', command: 'echo done > api.txt' },
      ollama: { availableModels: [] },
    });
    const cli = await startServe(root, {});
    try {
      const bad = await fetch(`${cli.url}/api/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ priority: 'urgent' }),
      });
      expect(bad.status).toBe(400);
      const res = await fetch(`${cli.url}/api/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'From the API', acceptanceCriteria: ['api.txt exists'] }),
      });
      expect(res.status).toBe(201);
      expect(await res.json()).toMatchObject({ id: '1' });
      await waitFor(() => folderContents(root).review?.length === 1, 'the task in review/');
      // The file reaches review/ before the run ends (task.published, auto-merge): wait for the end.
      const health = await waitFor(async () => {
        const h = (await (await fetch(`${cli.url}/health`)).json()) as { processing?: unknown[] };
        return h.processing?.length === 0 ? h : undefined;
      }, 'the run to end');
      expect(health).toMatchObject({ status: 'ok', queueSize: 0, processing: [] });
      const metrics = await (await fetch(`${cli.url}/metrics`)).text();
      expect(metrics).toMatch(/^tp_tasks_published_total 1$/m);
      expect(metrics).toMatch(/^tp_tasks\{state="review"\} 1$/m);
    } finally {
      const end = await cli.stop();
      expect(end.code).toBe(0);
    }
  }, 90_000);
});
