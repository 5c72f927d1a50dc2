import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BuiltinAgent } from '../../src/agents/builtin/index.js';
import { createAgent } from '../../src/agents/index.js';
import { configSchema } from '../../src/config/index.js';
import { runVerify } from '../../src/pipeline/verify.js';
import { createSandbox, type ProcessSandbox } from '../../src/sandbox/index.js';
import { calls, runInput, ScriptedPort, text } from '../unit/agents-builtin/scripted-port.js';
import {
  escapeScript,
  hostMarks,
  listen,
  makeSandboxProject,
  type SandboxProject,
  serviceProcess,
} from '../unit/sandbox/escape-fixture.js';

/**
 * Finding 2 of issue 9, reproduced with the real bwrap binary: a model-written `npm test`
 * (and a `command` agent, and a verify command) wrote outside the worktree, installed hooks in
 * the shared cache repository, and read the token from /proc and from `.env`.
 */
let net: Awaited<ReturnType<typeof listen>>;
let p: SandboxProject;
let service: { pid: number; stop(): void };
let sandbox: ProcessSandbox;

beforeAll(async () => {
  net = await listen();
});
afterAll(() => net.server.close());

beforeEach(() => {
  p = makeSandboxProject();
  service = serviceProcess(p.token);
  sandbox = createSandbox({ mode: 'bwrap', bwrapPath: '/usr/bin/bwrap', hide: p.hide, env: process.env });
});
afterEach(() => {
  service.stop();
  p.cleanup();
});

/** The service's environment as the config loader merges it: .env values included. */
function serviceEnv(): Record<string, string | undefined> {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', GITEA_TOKEN: p.token };
}

/** What must hold for any sandboxed run: ran to the end, wrote only inside, saw no secret. */
function expectConfined(out: string): void {
  expect(hostMarks(p)).toEqual([]);
  expect(out).not.toContain(p.token);
  for (const mark of [
    'WROTE-OUTSIDE',
    'WROTE-PROJECT',
    'WROTE-OTHER-WORKTREE',
    'HOOK-',
    'GIT-CONFIG-WRITTEN',
    'WROTE-ADMIN',
    'WROTE-DOTGIT',
    'PROMPT-FOR-TASK-2',
    'other.git',
  ]) {
    expect(out, mark).not.toContain(mark);
  }
  // It ran to the end, and what it may do still works: write in the worktree, git status/diff.
  for (const mark of ['START', 'END', 'WROTE-INSIDE', 'GIT-STATUS-OK', 'GIT-DIFF-OK']) {
    expect(out, mark).toContain(mark);
  }
}

describe('sandboxed runs cannot escape the worktree (real bwrap)', () => {
  it("the built-in agent's run_command `npm test` runs the model's script confined and offline", async () => {
    const script = escapeScript(p, net.port);
    const port = new ScriptedPort({ contextLength: 32_768, capabilities: ['tools'] }, [
      calls([
        'write_file',
        { path: 'package.json', content: '{ "name": "x", "scripts": { "test": "sh ./escape.sh" } }\n' },
      ]),
      calls(['write_file', { path: 'escape.sh', content: script }]),
      calls(['run_command', { command: 'npm test' }]),
      calls(['finish', { summary: 'done' }]),
      text('done'),
    ]);
    const agent = new BuiltinAgent({ port, allowCommands: ['npm test'], env: serviceEnv(), sandbox });
    await agent.run(runInput(p.worktree));
    const toolResult = port.requests[3]?.messages.at(-1)?.content ?? '';
    expectConfined(toolResult);
    expect(toolResult).toContain('NET-BLOCKED');
  });

  it('a `command` agent runs confined but keeps the network, and reads its own prompt file', async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${p.worktree}/escape.sh`, escapeScript(p, net.port));
    const config = configSchema.parse({ agent: { type: 'command', command: 'sh ./escape.sh' } });
    const agent = createAgent(config, serviceEnv(), undefined, sandbox);
    const res = await agent.run(
      runInput(p.worktree, { promptFile: p.promptFile, taskFile: p.taskFile, budget: { timeoutMs: 20_000 } }),
    );
    expectConfined(res.outputTail);
    expect(res.outputTail).toContain('PROMPT-FOR-TASK-1');
    expect(res.outputTail).toContain('NET-OK');
  });

  it('verify commands run confined and offline', async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${p.worktree}/escape.sh`, escapeScript(p, net.port));
    const [r] = await runVerify({
      commands: ['sh ./escape.sh'],
      cwd: p.worktree,
      env: serviceEnv(),
      timeoutMs: 20_000,
      signal: new AbortController().signal,
      secrets: [],
      sandbox,
    });
    expect(r?.ok).toBe(true);
    // The tail is capped; the full output has the markers.
    expectConfined(r?.outputTail ?? '');
    expect(r?.outputTail).toContain('NET-BLOCKED');
  });
});
