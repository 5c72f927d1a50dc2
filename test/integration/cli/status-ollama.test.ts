import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startFakeOllama } from '../../fixtures/fake-ollama/index.js';
import { makeProject, runCli, writeTask } from '../../helpers/project.js';
import { startServe, waitFor } from '../../helpers/serve.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

describe('status while Ollama is down', () => {
  it('says the host is OPEN and that a task is waiting, and the task is not failed', async () => {
    const fake = await startFakeOllama({
      models: [{ name: 'qwen2.5-coder:7b', capabilities: ['completion', 'tools'] }],
    });
    await fake.setDown(true);
    const port = await freePort();
    const { root } = await makeProject({
      webhook: { enabled: true, port },
      agent: { type: 'builtin' },
      ollama: {
        host: fake.url,
        defaultModel: 'ollama/qwen2.5-coder:7b',
        availableModels: [],
        healthCheck: { interval: 200, timeout: 200, failureThreshold: 1, cooldownMs: 60_000 },
      },
    });
    writeTask(root, '1', { title: 'Waits for Ollama' });
    const cli = await startServe(root, {});
    try {
      const out = await waitFor(async () => {
        const r = await runCli(['status'], { cwd: root });
        return /OPEN/.test(r.stdout) && /Waiting: /.test(r.stdout) ? r.stdout : undefined;
      }, 'status to report the OPEN host and the wait');
      expect(out).toContain(fake.url);
      expect(out).toMatch(/doing\s+1/);
      expect(out).toMatch(/failed\s+0/);
    } finally {
      await cli.stop();
      await fake.close();
    }
  }, 90_000);
});
