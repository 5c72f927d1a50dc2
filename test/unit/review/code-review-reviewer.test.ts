import { afterEach, describe, expect, it } from 'vitest';
import { type Config, configSchema } from '../../../src/config/index.js';
import { type ChatRequest, ModelRouter } from '../../../src/models/index.js';
import { CodeReviewer, REVIEW_REPLY_JSON_SCHEMA } from '../../../src/review/index.js';
import type { Task } from '../../../src/tasks/types.js';
import { type FakeOllama, startFakeOllama } from '../../fixtures/fake-ollama/index.js';

const fakes: FakeOllama[] = [];
const routers: ModelRouter[] = [];

afterEach(async () => {
  for (const r of routers.splice(0)) await r.stop();
  for (const f of fakes.splice(0)) await f.close();
});

const TASK = {
  id: '7',
  title: 'Add a greeting',
  description: 'Write greet() in src/greet.ts',
  acceptanceCriteria: ['greet returns "hi"'],
} as unknown as Task;

/** A diff of `files` (path → added lines), as `git diff --cached` prints it. */
function diffOf(files: Record<string, string[]>): string {
  return Object.entries(files)
    .map(([p, lines]) =>
      [
        `diff --git a/${p} b/${p}`,
        'new file mode 100644',
        'index 0000000..1111111',
        '--- /dev/null',
        `+++ b/${p}`,
        `@@ -0,0 +1,${lines.length} @@`,
        ...lines.map((l) => `+${l}`),
        '',
      ].join('\n'),
    )
    .join('');
}

async function setup(
  opts: { contextLength?: number; review?: Record<string, unknown>; secrets?: string[] } = {},
) {
  const fake = await startFakeOllama({
    models: [
      { name: 'reviewer:1b', contextLength: opts.contextLength ?? 8192, capabilities: ['completion'] },
    ],
  });
  fakes.push(fake);
  const config: Config = configSchema.parse({
    ollama: { host: fake.url, defaultModel: 'reviewer:1b', fallbackModels: [] },
    codeReview: { enabled: true, timeoutMs: 5_000, ...opts.review },
  });
  const router = new ModelRouter({
    hosts: [{ url: fake.url }],
    breaker: { failureThreshold: 5, successThreshold: 1, halfOpenRequests: 1, cooldownMs: 300 },
    healthCheck: { enabled: false, intervalMs: 1000, timeoutMs: 500, endpoint: '/api/version' },
    retry: { maxAttempts: 1, baseDelayMs: 10, maxDelayMs: 20, factor: 2 },
    maxWaitMs: 2_000,
  });
  routers.push(router);
  const reviewer = new CodeReviewer({ router, config, secrets: opts.secrets ?? [] });
  return { fake, reviewer, config };
}

const signal = new AbortController().signal;
/** A chat request body as the fake recorded it. */
interface ChatBody {
  format?: unknown;
  options: Record<string, unknown>;
  messages: Array<{ role: string; content: string }>;
}
const chats = (fake: FakeOllama) => fake.requestsTo('/api/chat').map((r) => r.body as ChatBody);

describe('CodeReviewer against the fake Ollama', () => {
  it('asks for structured output (JSON schema format, temperature 0, seed, num_ctx) and anchors findings to the diff', async () => {
    const { fake, reviewer } = await setup({ contextLength: 4096 });
    fake.setResponder((req) => {
      expect(req.format).toEqual(REVIEW_REPLY_JSON_SCHEMA);
      return {
        content: JSON.stringify({
          summary: 'Mostly fine.',
          findings: [
            {
              severity: 'major',
              category: 'bugs',
              file: 'b/src/greet.ts',
              line: 2,
              message: 'Wrong word',
              suggestion: 'Return "hi"',
            },
            {
              severity: 'minor',
              category: 'style',
              file: 'src/greet.ts',
              line: 99,
              message: 'Far away',
              suggestion: '',
            },
            {
              severity: 'critical',
              category: 'security',
              file: 'src/elsewhere.ts',
              line: 1,
              message: 'Not in the diff',
              suggestion: '',
            },
          ],
        }),
      };
    });
    const r = await reviewer.review({
      task: TASK,
      diff: diffOf({ 'src/greet.ts': ['export function greet() {', "  return 'hello';", '}'] }),
      signal,
    });
    expect(r.status).toBe('ok');
    expect(r.model).toBe('reviewer:1b');
    expect(r.findings).toEqual([
      expect.objectContaining({ severity: 'major', file: 'src/greet.ts', line: 2, message: 'Wrong word' }),
      // Line 99 is not in the change: kept as a remark on the whole file.
      expect.objectContaining({ severity: 'minor', file: 'src/greet.ts', line: undefined }),
    ]);
    expect(r.notes).toContain('1 finding(s) naming files outside the change were dropped');
    expect(r.promptTokens).toBeGreaterThan(0);
    const [body] = chats(fake);
    expect(body?.format).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['findings', 'summary']),
    });
    expect(body?.options).toMatchObject({ temperature: 0, seed: 42, num_ctx: 4096 });
    const user = body?.messages.find((m) => m.role === 'user')?.content ?? '';
    expect(user).toContain('greet returns "hi"');
    expect(user).toContain("return 'hello'");
  });

  it('repairs an invalid reply once, sending the validation error back', async () => {
    const { fake, reviewer } = await setup();
    fake.enqueueReply('reviewer:1b', {
      content: '{"findings":[{"severity":"high","category":"bugs"}],"summary":"x"}',
    });
    fake.enqueueReply('reviewer:1b', { content: '{"findings":[],"summary":"Clean."}' });
    const r = await reviewer.review({ task: TASK, diff: diffOf({ 'a.txt': ['x'] }), signal });
    expect(r).toMatchObject({ status: 'ok', findings: [], summary: 'Clean.', requests: 2 });
    const repair = chats(fake)[1]?.messages ?? [];
    expect(repair.at(-2)?.role).toBe('assistant');
    expect(repair.at(-1)?.content).toContain('findings.0.severity');
  });

  it('is unavailable (not clean) after a second invalid reply', async () => {
    const { fake, reviewer } = await setup();
    fake.enqueueReply('reviewer:1b', { content: 'Looks good to me!' });
    fake.enqueueReply('reviewer:1b', { content: 'Still no JSON, sorry.' });
    const r = await reviewer.review({ task: TASK, diff: diffOf({ 'a.txt': ['x'] }), signal });
    expect(r.status).toBe('unavailable');
    expect(r.reason).toMatch(/invalid twice.*not JSON/);
    expect(chats(fake)).toHaveLength(2);
  });

  it('is unavailable when the model hangs past codeReview.timeoutMs', async () => {
    const { fake, reviewer } = await setup({ review: { timeoutMs: 400 } });
    fake.injectFault({ kind: 'hang' }, { paths: ['/api/chat'] });
    const r = await reviewer.review({ task: TASK, diff: diffOf({ 'a.txt': ['x'] }), signal });
    expect(r).toMatchObject({
      status: 'unavailable',
      reason: 'timed out after 400 ms (codeReview.timeoutMs)',
    });
  });

  it('is unavailable when no model of the chain answers', async () => {
    const { fake, reviewer } = await setup({ review: { model: 'missing:7b' } });
    const r = await reviewer.review({ task: TASK, diff: diffOf({ 'a.txt': ['x'] }), signal });
    expect(r.status).toBe('unavailable');
    expect(r.reason).toMatch(/no review model answered/);
    expect(chats(fake)).toHaveLength(0);
  });

  it('splits a diff larger than the context into per-file requests and cuts a single huge file', async () => {
    const { fake, reviewer } = await setup({ contextLength: 4096 });
    const block = (n: number, tag: string) =>
      Array.from({ length: n }, (_, i) => `const ${tag}${i} = ${i}; // padding text`);
    fake.setResponder((req) => {
      const user = req.messages.find((m) => m.role === 'user')?.content ?? '';
      const file = /files: ([^,)]+)/.exec(user)?.[1] ?? 'one.ts';
      return {
        content: JSON.stringify({
          summary: `part ${file}`,
          findings: [
            { severity: 'info', category: 'style', file, line: 1, message: `seen ${file}`, suggestion: '' },
          ],
        }),
      };
    });
    const r = await reviewer.review({
      task: TASK,
      diff: diffOf({ 'one.ts': block(120, 'a'), 'two.ts': block(120, 'b'), 'huge.ts': block(600, 'c') }),
      signal,
    });
    expect(r.status).toBe('ok');
    const bodies = chats(fake);
    expect(bodies.length).toBe(3);
    expect(bodies.every((b) => b.options.num_ctx === 4096)).toBe(true);
    const sent = bodies.map((b) => b.messages[1]?.content ?? '');
    expect(sent.map((s) => /files: ([^)]+)\)/.exec(s)?.[1])).toEqual(['one.ts', 'two.ts', 'huge.ts']);
    expect(sent[2]).toContain('[… diff of huge.ts truncated');
    expect(sent[0]).not.toContain('truncated');
    expect(r.notes).toEqual(["the diff of huge.ts was cut to fit the model's context"]);
    expect(r.findings.map((f) => f.file)).toEqual(['one.ts', 'two.ts', 'huge.ts']);
  });

  it('never sends a known secret or a token-shaped value to the model', async () => {
    const secret = 'hunter2-very-secret-value';
    const { fake, reviewer } = await setup({ secrets: [secret] });
    fake.enqueueReply('*', { content: '{"findings":[],"summary":"ok"}' });
    const token = `ghp_${'A1'.repeat(18)}`;
    await reviewer.review({
      task: TASK,
      diff: diffOf({ 'cfg.ts': [`const a = "${secret}";`, `const t = "${token}";`] }),
      signal,
    });
    const sent = JSON.stringify(fake.requests.map((r) => r.body));
    expect(sent).not.toContain(secret);
    expect(sent).not.toContain(token);
    expect(sent).toContain('***');
  });

  it('goes through the given chat function (the response cache hooks in there)', async () => {
    const { fake, config } = await setup();
    const router = routers[0]!;
    const seen: ChatRequest[] = [];
    const reviewer = new CodeReviewer({
      router,
      config,
      secrets: [],
      chat: (client, request) => {
        seen.push(request);
        return client.chat(request);
      },
    });
    fake.enqueueReply('*', { content: '{"findings":[],"summary":"ok"}' });
    const r = await reviewer.review({ task: TASK, diff: diffOf({ 'a.txt': ['x'] }), signal });
    expect(r.status).toBe('ok');
    expect(seen).toHaveLength(1);
    expect(seen[0]?.options).toEqual({ temperature: 0, seed: 42 });
  });
});
