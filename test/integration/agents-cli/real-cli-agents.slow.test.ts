/**
 * The real Kilo Code CLI and OpenCode, driven end to end against the fake Ollama's
 * OpenAI-compatible endpoint: the scripted "model" asks for the tool's own `write` tool, the
 * tool performs the edit in a real git worktree, then the model answers with a final text.
 * Each run costs tens of seconds of start-up on small machines, so there is one run per tool.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KiloAgent, OpenCodeAgent, resolveBinary } from '../../../src/agents/cli/index.js';
import type { Agent, AgentResult } from '../../../src/agents/types.js';
import { createSandbox } from '../../../src/sandbox/index.js';
import { type FakeOllama, startFakeOllama } from '../../fixtures/fake-ollama/index.js';
import { makeInput } from '../../unit/agents-cli/helpers.js';

const MODEL = 'qwen2.5-coder:7b';
const RUN_TIMEOUT_MS = 240_000;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' });
}

function toolNames(tools: unknown[] | undefined): string[] {
  return (tools ?? []).map((t) => (t as { function?: { name?: string } }).function?.name ?? '?');
}

// As in production: each tool runs inside the real bubblewrap sandbox (network shared, so it
// reaches the fake Ollama; the worktree the only writable place; a private /tmp and HOME).
const sandboxFor = (env: Record<string, string | undefined>) =>
  createSandbox({ mode: 'bwrap', bwrapPath: '/usr/bin/bwrap', env, hide: [] });

describe.each([
  [
    'kilo',
    (env: Record<string, string | undefined>) =>
      new KiloAgent({ env, killGraceMs: 2_000, sandbox: sandboxFor(env) }),
  ],
  [
    'opencode',
    (env: Record<string, string | undefined>) =>
      new OpenCodeAgent({ env, killGraceMs: 2_000, sandbox: sandboxFor(env) }),
  ],
] as const)('real %s CLI in the sandbox against the fake Ollama', (name, make) => {
  let fake: FakeOllama;
  let root: string;
  let repo: string;
  let wt: string;
  let agent: Agent;
  let result: AgentResult | undefined;
  let failure: unknown;
  const toolsSeen: string[][] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), `tp-real-${name}-`));
    repo = join(root, 'repo');
    mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'config', 'user.email', 't@example.com');
    git(repo, 'config', 'user.name', 'T');
    writeFileSync(join(repo, 'README.md'), '# demo\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'init');
    wt = join(root, 'wt-task-42');
    git(repo, 'worktree', 'add', '-q', '-b', 'task-42', wt, 'main');
    writeFileSync(join(root, 'prompt.md'), 'Create hello.txt containing a greeting.\n');

    fake = await startFakeOllama({ models: [{ name: MODEL, contextLength: 32_768 }] });
    fake.setResponder((req) => {
      toolsSeen.push(toolNames(req.tools));
      const toolDone = req.messages.some((m) => m.role === 'tool');
      if (!toolDone && toolNames(req.tools).includes('write')) {
        return {
          toolCalls: [
            {
              name: 'write',
              arguments: { filePath: join(wt, 'hello.txt'), content: `hello from ${name}\n` },
            },
          ],
        };
      }
      return { content: `Created hello.txt with a greeting (${name}).` };
    });

    // Tool state (sessions, snapshots, logs) goes to a throw-away home, not the user's.
    const home = join(root, 'home');
    mkdirSync(home);
    const env = {
      PATH: process.env.PATH,
      HOME: home,
      XDG_DATA_HOME: join(home, '.local/share'),
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_STATE_HOME: join(home, '.local/state'),
      XDG_CACHE_HOME: join(home, '.cache'),
      LANG: 'C.UTF-8',
    };
    agent = make(env);
    if (!resolveBinary(name, { env })) {
      failure = new Error(`${name} binary not found on PATH or in node_modules/.bin`);
      return;
    }
    try {
      result = await agent.run(
        makeInput(wt, {
          model: MODEL,
          ollamaHost: fake.url,
          promptFile: join(root, 'prompt.md'),
          prompt: 'Create hello.txt containing a greeting.',
          budget: { timeoutMs: RUN_TIMEOUT_MS },
        }),
      );
    } catch (err) {
      failure = err;
    }
  }, RUN_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    await fake?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('finishes without error', () => {
    if (failure) {
      // Show why the binary could not run (the closing note reports it).
      const f = failure as { message?: string; details?: { outputTail?: string } };
      throw new Error(`${name} failed: ${f.message}\n${f.details?.outputTail ?? ''}`);
    }
    expect(result?.stopReason).toBe('done');
  });

  it('made the edit in the worktree through its own write tool, and nothing else', () => {
    expect(readFileSync(join(wt, 'hello.txt'), 'utf8')).toBe(`hello from ${name}\n`);
    expect(git(wt, 'status', '--porcelain')).toBe('?? hello.txt\n');
    expect(git(repo, 'status', '--porcelain')).toBe('');
  });

  it('talked to the OpenAI-compatible endpoint with the configured model and tools', () => {
    const calls = fake.requestsTo('/v1/chat/completions');
    expect(calls.length).toBeGreaterThanOrEqual(2);
    const first = calls[0]?.body as { model?: string; stream?: boolean };
    expect(first.model).toBe(MODEL);
    expect(first.stream).toBe(true);
    // OpenCode first asks for a session title (no tools); the working request offers `write`.
    expect(toolsSeen.some((names) => names.includes('write'))).toBe(true);
  });

  it('reports tokens and the final text from the JSON event stream', () => {
    expect(result?.tokens?.prompt ?? 0).toBeGreaterThan(0);
    expect(result?.iterations ?? 0).toBeGreaterThanOrEqual(2);
    expect(result?.summary).toContain(`Created hello.txt with a greeting (${name})`);
    expect(result?.summary).toContain('tools: write');
  });
});

describe('real kilo CLI: a hung model server ends in AGENT_TIMEOUT with the whole process tree gone', () => {
  let fake: FakeOllama;
  let root: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'tp-real-kilo-hang-'));
    fake = await startFakeOllama({ models: [{ name: MODEL, contextLength: 32_768 }] });
    fake.injectFault({ kind: 'hang' }, { paths: ['/v1/chat/completions'] });
  });
  afterAll(async () => {
    await fake?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('times out, and neither the node wrapper nor the kilo binary survives', async () => {
    const wt = join(root, 'wt');
    mkdirSync(wt);
    git(wt, 'init', '-q');
    const home = join(root, 'home');
    mkdirSync(home);
    const env = { PATH: process.env.PATH, HOME: home, XDG_DATA_HOME: join(home, 'data'), LANG: 'C.UTF-8' };
    // A unique word in the prompt lets us find every process of this run in `ps`.
    const marker = `tp-hang-marker-${process.pid}-${Date.now()}`;
    const agent = new KiloAgent({ env, killGraceMs: 2_000 });
    const err = await agent
      .run(
        makeInput(wt, {
          model: MODEL,
          ollamaHost: fake.url,
          prompt: `Say ${marker}`,
          budget: { timeoutMs: 20_000 },
        }),
      )
      .then(
        () => undefined,
        (e: { code?: string; retryable?: boolean }) => e,
      );
    expect(err?.code).toBe('AGENT_TIMEOUT');
    expect(err?.retryable).toBe(true);
    const survivors = () =>
      execFileSync('ps', ['-eo', 'pid,stat,args'], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.includes(marker) && !/\sZ/.test(l));
    for (let i = 0; i < 30 && survivors().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(survivors()).toEqual([]);
  }, 90_000);
});
