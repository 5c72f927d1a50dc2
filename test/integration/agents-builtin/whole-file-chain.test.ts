import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/index.js';
import type { FailureReport } from '../../../src/intake/types.js';
import { type FakeOllama, startFakeOllama } from '../../fixtures/fake-ollama/index.js';
import { makeProject, writeTask } from '../../helpers/project.js';

/*
 * The held-out run, end to end: the only installed model (no tool calling) answers with
 * something that is not an edit, and the rest of the chain (llama2, mistral, codellama) is not
 * installed. The task must fail with the first model's real failure in failed/<task>.error.json,
 * not with "Run `ollama pull llama2`", and the missing models must be left out with one log
 * line each and no attempt.
 */

const MODEL = 'tiny-coder:1b';

describe('a chain whose only installed model is not understood', () => {
  let app: App | undefined;
  let fake: FakeOllama | undefined;
  afterEach(async () => {
    await app?.close();
    await fake?.close();
    app = undefined;
    fake = undefined;
  });

  it('fails with the first model’s failure, and skips the models no host has', async () => {
    fake = await startFakeOllama({
      models: [{ name: MODEL, contextLength: 8192, capabilities: ['completion'] }],
    });
    // Prose, no edit block, every time it is asked.
    fake.setResponder(() => ({
      content: 'You should change the greeting in the file to say hello to the world.',
    }));
    const { root } = await makeProject({
      agent: { type: 'builtin', allowCommands: [] },
      ollama: {
        host: fake.url,
        defaultModel: MODEL,
        fallbackModels: ['llama2', 'mistral'],
        availableModels: ['codellama'],
        healthCheck: { enabled: false },
      },
      logging: { level: 'info', format: 'json' },
    });
    writeTask(root, '5', { title: 'Greet the world', description: 'hello.txt must say Hello, world!' });

    const logged: Array<Record<string, unknown>> = [];
    const logSink = {
      write(line: string) {
        try {
          logged.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not a JSON log line
        }
      },
    };
    app = await createApp(loadConfig({ cwd: root, env: {} }), { logSink });
    const failed = app.events.waitFor('task.failed', (e) => e.taskId === '5');
    await app.worker.start({ watch: false });
    await failed;
    await app.worker.idle();

    const dir = path.join(root, 'backlog', 'failed');
    const json = readdirSync(dir).find((f) => f.endsWith('.error.json'))!;
    const report = JSON.parse(readFileSync(path.join(dir, json), 'utf8')) as FailureReport;

    expect(report.code).toBe('AGENT_NO_CHANGES');
    expect(report.error).toMatch(new RegExp(`^${MODEL}: Agent made no changes \\(no-change:`));
    expect(report.error).toContain('llama2: skipped, not installed on any host');
    expect(report.error).not.toMatch(/ollama pull/);
    expect(report.hint).not.toMatch(/ollama pull/);
    expect(report.hint).toMatch(/Make the ticket more specific/);
    expect(report.retryable).toBe(false);
    expect(report.model).toBe(MODEL);
    expect(report.attempts).toEqual([expect.objectContaining({ model: MODEL, code: 'AGENT_NO_CHANGES' })]);
    expect(report.outputTail).toContain('change the greeting');

    const skipped = logged.filter((l) => l.message === 'model.skipped');
    expect(skipped.map((l) => l.model)).toEqual(['llama2', 'mistral', 'codellama']);
    expect(String(skipped[0]!.reason)).toContain(`${fake.url}: ${MODEL}`);
    const chats = fake.requestsTo('/api/chat').map((r) => (r.body as { model: string }).model);
    expect(new Set(chats)).toEqual(new Set([MODEL]));
  });
});
