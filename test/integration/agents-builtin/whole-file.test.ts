import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BuiltinAgent } from '../../../src/agents/builtin/index.js';
import type { AgentRunInput } from '../../../src/agents/types.js';
import { type FakeOllama, startFakeOllama } from '../../fixtures/fake-ollama/index.js';
import { makeTask } from '../../unit/agents-builtin/scripted-port.js';

/*
 * The held-out case: a model without tool calling answered with the path alone on a line and
 * the whole file in a fence (Aider's "whole" format), and no edit was made. Here the real
 * built-in agent talks to the fake Ollama over HTTP, picks text mode from /api/show, and must
 * write the file in a real git worktree.
 */

const MODEL = 'tiny-coder:1b';

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

describe('whole-file replies from a tool-less model, through the real built-in agent', () => {
  let fake: FakeOllama;
  let base: string;
  let worktree: string;

  beforeAll(async () => {
    fake = await startFakeOllama({
      models: [{ name: MODEL, contextLength: 8192, capabilities: ['completion'] }],
    });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(async () => {
    fake.clearRequests();
    base = await mkdtemp(path.join(tmpdir(), 'tp-whole-file-'));
    const repo = path.join(base, 'repo');
    await mkdir(repo);
    await writeFile(path.join(repo, 'hello.txt'), 'Hello\n');
    await writeFile(path.join(repo, 'README.md'), '# greeting\n');
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'init');
    worktree = path.join(base, 'wt');
    git(repo, 'worktree', 'add', '-q', '-b', 'task-7', worktree);
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  const input = (): AgentRunInput => ({
    task: makeTask({
      title: 'Greet the world',
      description: 'hello.txt must say "Hello, world!" instead of "Hello".',
      acceptanceCriteria: ['hello.txt contains Hello, world!'],
    }),
    workdir: worktree,
    model: `ollama/${MODEL}`,
    ollamaHost: fake.url,
    taskFile: path.join(base, 'task-7.md'),
    promptFile: path.join(base, 'prompt.md'),
    prompt: '',
    budget: { timeoutMs: 20_000 },
    signal: new AbortController().signal,
  });

  it('the held-out reply (path line, then the whole file in a fence) edits the file', async () => {
    fake.enqueueReply(MODEL, { content: 'hello.txt\n```\nHello, world!\n```' });
    const res = await new BuiltinAgent().run(input());

    expect(res.stopReason).toBe('done');
    expect(res.summary).toContain('Changed files: hello.txt');
    expect(await readFile(path.join(worktree, 'hello.txt'), 'utf8')).toBe('Hello, world!\n');
    expect(git(worktree, 'status', '--porcelain')).toBe(' M hello.txt\n');
    const first = fake.requestsTo('/api/chat')[0]!.body as { tools?: unknown };
    expect(first.tools).toBeUndefined();
  });

  it('a fence naming the file in its info string, with prose and DONE, edits it in one turn', async () => {
    fake.enqueueReply(MODEL, {
      content:
        'Sure! Here is the new file:\n\n```text hello.txt\nHello, world!\n```\n\nDONE: greeted the world',
    });
    const res = await new BuiltinAgent().run(input());
    expect(res.stopReason).toBe('done');
    expect(res.summary).toMatch(/^greeted the world/);
    expect(fake.requestsTo('/api/chat')).toHaveLength(1);
    expect(git(worktree, 'diff', '--numstat')).toBe('1\t1\thello.txt\n');
  });

  it('a reply with one good block and one escaping the repository changes nothing, and says why', async () => {
    fake.enqueueReply(MODEL, {
      content: 'hello.txt\n```\nHello, world!\n```\n\n../outside.txt\n```\npwned\n```',
    });
    fake.enqueueReply(MODEL, { content: 'DONE: gave up' });
    const res = await new BuiltinAgent().run(input());
    expect(res.stopReason).toBe('no-change');
    expect(git(worktree, 'status', '--porcelain')).toBe('');
    const second = fake.requestsTo('/api/chat')[1]!.body as { messages: Array<{ content: string }> };
    expect(second.messages.at(-1)!.content).toMatch(/Nothing was changed:[\s\S]*escapes the repository/);
  });
});
