import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BuiltinAgent, modelClientPortFactory } from '../../../src/agents/builtin/index.js';
import type { AgentRunInput } from '../../../src/agents/types.js';
import { TpError } from '../../../src/errors/index.js';
import { type FakeOllama, startFakeOllama } from '../../fixtures/fake-ollama/index.js';
import { makeTask } from '../../unit/agents-builtin/scripted-port.js';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@e',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@e',
    },
  });

const CALC = 'export function add(a: number, b: number): number {\n  return a - b;\n}\n';
const MODEL = 'qwen2.5-coder:7b';
/** Far above every model timeout below, so a test that waited for it would fail on duration. */
const WALL_CLOCK_MS = 15_000;

interface ChatBody {
  model: string;
  tools?: unknown[];
  options?: { num_ctx?: number; num_predict?: number };
  keep_alive?: string;
}

describe('BuiltinAgent through modelClientChatPort against the fake Ollama (real HTTP, real git)', () => {
  let fake: FakeOllama;
  let base: string;
  let repo: string;

  beforeAll(async () => {
    fake = await startFakeOllama();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(async () => {
    fake.clearFaults();
    fake.clearRequests();
    base = await mkdtemp(path.join(tmpdir(), 'tp-mcport-int-'));
    repo = path.join(base, 'repo');
    await mkdir(path.join(repo, 'src'), { recursive: true });
    await writeFile(path.join(repo, 'src/calc.ts'), CALC);
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'init');
  });
  afterEach(async () => {
    fake.clearFaults();
    await rm(base, { recursive: true, force: true });
  });

  const agent = (timeouts = { firstTokenMs: 300, idleMs: 300, totalMs: 10_000 }) =>
    new BuiltinAgent({
      contextTokens: 6_000,
      replyReserveTokens: 2_000,
      keepAlive: '7m',
      port: modelClientPortFactory({ timeouts }),
    });
  const input = (over: Partial<AgentRunInput> = {}): AgentRunInput => ({
    task: makeTask({ title: 'Fix add', description: 'add() in src/calc.ts subtracts; it must add.' }),
    workdir: repo,
    model: `ollama/${MODEL}`,
    ollamaHost: fake.url,
    taskFile: path.join(base, 'task-42.md'),
    promptFile: path.join(base, 'prompt.md'),
    prompt: '',
    budget: { timeoutMs: WALL_CLOCK_MS },
    signal: new AbortController().signal,
    ...over,
  });
  const chats = () => fake.requestsTo('/api/chat').map((r) => r.body as ChatBody);

  it('tool calls make a real edit; num_ctx, num_predict and keep_alive go out on every request', async () => {
    fake.enqueueReply(MODEL, { toolCalls: [{ name: 'read_file', arguments: { path: 'src/calc.ts' } }] });
    fake.enqueueReply(MODEL, {
      content: 'Fixing the operator.',
      toolCalls: [
        {
          name: 'apply_patch',
          arguments: { edits: [{ path: 'src/calc.ts', search: 'return a - b;', replace: 'return a + b;' }] },
        },
      ],
    });
    fake.enqueueReply(MODEL, { toolCalls: [{ name: 'finish', arguments: { summary: 'add() now adds.' } }] });
    const streamed: string[] = [];
    const res = await agent().run(input({ onOutput: (c) => streamed.push(c) }));

    expect(res.stopReason).toBe('done');
    expect(res.summary).toContain('add() now adds.');
    expect(res.tokens!.prompt).toBeGreaterThan(0);
    expect(res.tokens!.completion).toBeGreaterThan(0);
    expect(git(repo, 'status', '--porcelain')).toBe(' M src/calc.ts\n');
    expect(await readFile(path.join(repo, 'src/calc.ts'), 'utf8')).toBe(CALC.replace('a - b', 'a + b'));
    expect(streamed.join('')).toContain('Fixing the operator.');

    const bodies = chats();
    expect(bodies).toHaveLength(3);
    for (const b of bodies) {
      expect(b.model).toBe(MODEL);
      expect(b.options?.num_ctx).toBe(8_000);
      expect(b.options?.num_predict).toBe(2_000);
      expect(b.keep_alive).toBe('7m');
      expect(b.tools?.length).toBeGreaterThan(0);
    }
    // The agent's show; the client never needs its own (num_ctx is explicit).
    expect(fake.requestsTo('/api/show')).toHaveLength(1);
  });

  it('a malformed tool call over HTTP switches the run to text mode, which still edits', async () => {
    fake.injectFault({ kind: 'malformed-tool-call' }, { times: 1, paths: ['/api/chat'] });
    fake.enqueueReply(MODEL, { toolCalls: [{ name: 'write_file', arguments: { path: 'x', content: 'y' } }] });
    fake.enqueueReply(MODEL, {
      content:
        'src/calc.ts\n<<<<<<< SEARCH\n  return a - b;\n=======\n  return a + b;\n>>>>>>> REPLACE\nDONE: fixed',
    });
    const res = await agent().run(input());
    expect(res.stopReason).toBe('done');
    const bodies = chats();
    expect(bodies[0]!.tools).toBeDefined();
    expect(bodies[1]!.tools).toBeUndefined();
    expect(bodies.every((b) => b.options?.num_ctx === 8_000)).toBe(true);
    expect(git(repo, 'status', '--porcelain')).toBe(' M src/calc.ts\n');
  });

  it('a first token slower than firstTokenMs fails the run with a retryable TIMEOUT long before the wall clock', async () => {
    fake.injectFault({ kind: 'slow-first-token', delayMs: 5_000 }, { paths: ['/api/chat'] });
    const started = Date.now();
    const err = await agent()
      .run(input())
      .catch((e) => e);
    const took = Date.now() - started;
    expect(TpError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({ code: 'TIMEOUT', retryable: true, taskId: '42' });
    expect(err.details).toMatchObject({ phase: 'firstTokenMs', timeoutMs: 300 });
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(3_000);
    expect(chats()[0]!.options?.num_ctx).toBe(8_000);
    expect(git(repo, 'status', '--porcelain')).toBe('');
  });

  it('a hanging server fails the run with a retryable TIMEOUT, not a wall-clock budget stop', async () => {
    fake.injectFault({ kind: 'hang' }, { paths: ['/api/chat'] });
    const started = Date.now();
    const err = await agent()
      .run(input())
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(err.details.phase).toBe('firstTokenMs');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('a stream that stalls between chunks fails on idleMs', async () => {
    fake.injectFault({ kind: 'slow-stream', chunkDelayMs: 2_000 }, { paths: ['/api/chat'] });
    fake.enqueueReply(MODEL, { content: 'one two three four' });
    const started = Date.now();
    const err = await agent({ firstTokenMs: 1_000, idleMs: 300, totalMs: 10_000 })
      .run(input())
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(err.details.phase).toBe('idleMs');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('a model that keeps streaming past totalMs fails on the total limit', async () => {
    fake.injectFault({ kind: 'slow-stream', chunkDelayMs: 150 }, { paths: ['/api/chat'] });
    fake.enqueueReply(MODEL, { content: Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ') });
    const err = await agent({ firstTokenMs: 1_000, idleMs: 1_000, totalMs: 700 })
      .run(input())
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(err.details.phase).toBe('totalMs');
  });

  it('the wall clock still wins when it is shorter than the model timeouts', async () => {
    fake.injectFault({ kind: 'hang' }, { paths: ['/api/chat'] });
    const res = await agent({ firstTokenMs: 5_000, idleMs: 5_000, totalMs: 10_000 }).run(
      input({ budget: { timeoutMs: 400 } }),
    );
    expect(res.stopReason).toBe('budget');
    expect(res.summary).toMatch(/wall-clock limit of 400 ms/);
  });

  it('an unknown model is a permanent MODEL_NOT_FOUND naming `ollama pull`', async () => {
    const err = await agent()
      .run(input({ model: 'ollama/no-such-model:1b' }))
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'MODEL_NOT_FOUND', retryable: false });
    expect(err.hint).toContain('ollama pull no-such-model:1b');
  });
});
