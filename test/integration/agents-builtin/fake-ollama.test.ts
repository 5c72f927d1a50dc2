import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BuiltinAgent } from '../../../src/agents/builtin/index.js';
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

const CALC = 'export function add(a: number, b: number): number {\r\n  return a - b;\r\n}\r\n';

interface ChatBody {
  model: string;
  tools?: Array<{ function: { name: string } }>;
  options?: { num_ctx?: number; num_predict?: number };
  keep_alive?: string;
  messages: Array<{ role: string; content: string }>;
}

describe('BuiltinAgent against the fake Ollama server (official client, real git)', () => {
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
    base = await mkdtemp(path.join(tmpdir(), 'tp-builtin-int-'));
    repo = path.join(base, 'repo');
    await mkdir(path.join(repo, 'src'), { recursive: true });
    await writeFile(path.join(repo, 'src/calc.ts'), CALC);
    await writeFile(path.join(repo, 'README.md'), '# calc\n');
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'init');
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  const input = (model: string, over: Partial<AgentRunInput> = {}): AgentRunInput => ({
    task: makeTask({
      title: 'Fix add',
      description: 'add() in src/calc.ts subtracts; it must add.',
      acceptanceCriteria: ['add(2, 3) === 5'],
    }),
    workdir: repo,
    model,
    ollamaHost: fake.url,
    taskFile: path.join(base, 'task-42.md'),
    promptFile: path.join(base, 'prompt.md'),
    prompt: '',
    budget: { timeoutMs: 20_000 },
    signal: new AbortController().signal,
    ...over,
  });
  const chats = () => fake.requestsTo('/api/chat').map((r) => r.body as ChatBody);

  it('tools mode: native tool calls make a real edit; num_ctx on every request', async () => {
    fake.enqueueReply('qwen2.5-coder:7b', {
      toolCalls: [{ name: 'read_file', arguments: { path: 'src/calc.ts' } }],
    });
    fake.enqueueReply('qwen2.5-coder:7b', {
      content: 'Fixing the operator.',
      toolCalls: [
        {
          name: 'apply_patch',
          arguments: { edits: [{ path: 'src/calc.ts', search: 'return a - b;', replace: 'return a + b;' }] },
        },
      ],
    });
    fake.enqueueReply('qwen2.5-coder:7b', {
      toolCalls: [{ name: 'finish', arguments: { summary: 'add() now adds.' } }],
    });
    const streamed: string[] = [];
    const res = await new BuiltinAgent({
      contextTokens: 6_000,
      replyReserveTokens: 2_000,
      keepAlive: '7m',
    }).run(input('ollama/qwen2.5-coder:7b', { onOutput: (c) => streamed.push(c) }));

    expect(res.stopReason).toBe('done');
    expect(res.summary).toContain('add() now adds.');
    expect(res.summary).toMatch(/Context: \d+ files, repository map full/);
    expect(res.tokens!.prompt).toBeGreaterThan(0);
    expect(git(repo, 'status', '--porcelain')).toBe(' M src/calc.ts\n');
    // CRLF file edited with a LF search string keeps CRLF.
    expect(await readFile(path.join(repo, 'src/calc.ts'), 'utf8')).toBe(CALC.replace('a - b', 'a + b'));
    expect(streamed.join('')).toContain('Fixing the operator.');

    const bodies = chats();
    expect(bodies).toHaveLength(3);
    for (const b of bodies) {
      expect(b.model).toBe('qwen2.5-coder:7b');
      expect(b.options?.num_ctx).toBe(8_000);
      expect(b.options?.num_predict).toBe(2_000);
      expect(b.keep_alive).toBe('7m');
      expect(b.tools?.map((t) => t.function.name)).toEqual(
        expect.arrayContaining(['read_file', 'list_files', 'search', 'write_file', 'apply_patch', 'finish']),
      );
    }
    expect(fake.requestsTo('/api/show')).toHaveLength(1);
  });

  it('text mode for a model without tools: SEARCH/REPLACE reply makes a real edit', async () => {
    fake.enqueueReply('deepseek-coder:latest', {
      content:
        'src/calc.ts\n```ts\n<<<<<<< SEARCH\n  return a - b;\n=======\n  return a + b;\n>>>>>>> REPLACE\n```\nDONE: fixed add',
    });
    const res = await new BuiltinAgent().run(input('ollama/deepseek-coder'));
    expect(res.stopReason).toBe('done');
    expect(git(repo, 'diff', '--numstat')).toMatch(/^1\t1\tsrc\/calc\.ts/);
    const [body] = chats();
    expect(body!.tools).toBeUndefined();
    expect(body!.options?.num_ctx).toBe(16_384);
    expect(body!.messages[1]!.content).toContain('### src/calc.ts (named in task)');
  });

  it('a malformed tool call falls back to text mode and still finishes', async () => {
    fake.injectFault({ kind: 'malformed-tool-call' }, { times: 1, paths: ['/api/chat'] });
    fake.enqueueReply('qwen2.5-coder:7b', {
      toolCalls: [{ name: 'write_file', arguments: { path: 'x', content: 'y' } }],
    });
    fake.enqueueReply('qwen2.5-coder:7b', {
      content:
        'src/calc.ts\n<<<<<<< SEARCH\n  return a - b;\n=======\n  return a + b;\n>>>>>>> REPLACE\nDONE: fixed',
    });
    const res = await new BuiltinAgent().run(input('qwen2.5-coder:7b'));
    expect(res.stopReason).toBe('done');
    const bodies = chats();
    expect(bodies[0]!.tools).toBeDefined();
    expect(bodies[1]!.tools).toBeUndefined();
    expect(git(repo, 'status', '--porcelain')).toBe(' M src/calc.ts\n');
  });

  it('model not found is a permanent MODEL_NOT_FOUND error naming the fix', async () => {
    const err = await new BuiltinAgent().run(input('ollama/no-such-model:1b')).catch((e) => e);
    expect(TpError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({ code: 'MODEL_NOT_FOUND', retryable: false });
    expect(err.hint).toContain('ollama pull no-such-model:1b');
  });

  it('a stream cut mid-reply is a retryable error and leaves the worktree clean', async () => {
    fake.injectFault({ kind: 'cut-stream', afterChunks: 2 }, { paths: ['/api/chat'] });
    fake.enqueueReply('qwen2.5-coder:7b', { content: 'one two three four five six seven' });
    const err = await new BuiltinAgent().run(input('qwen2.5-coder:7b')).catch((e) => e);
    expect(TpError.isInstance(err)).toBe(true);
    expect(err.retryable).toBe(true);
    expect(['STREAM_CUT', 'NETWORK']).toContain(err.code);
    expect(git(repo, 'status', '--porcelain')).toBe('');
  });

  it('a hanging server hits the wall-clock budget', async () => {
    fake.injectFault({ kind: 'hang' }, { paths: ['/api/chat'] });
    const started = Date.now();
    const res = await new BuiltinAgent().run(input('qwen2.5-coder:7b', { budget: { timeoutMs: 400 } }));
    expect(res.stopReason).toBe('budget');
    expect(res.summary).toMatch(/wall-clock limit of 400 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
