import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BuiltinAgent } from '../../src/agents/builtin/index.js';
import { createAgent } from '../../src/agents/index.js';
import { type LoadedConfig, loadConfig } from '../../src/config/index.js';
import { runVerify } from '../../src/pipeline/verify.js';
import { noSandbox } from '../../src/sandbox/index.js';
import { calls, runInput, ScriptedPort, text } from '../unit/agents-builtin/scripted-port.js';

/**
 * Finding 7 of issue 9: secrets reached CLI agents and verify commands through a deny-list
 * that only knew names ending in TOKEN/SECRET/…. Every child now gets an allow-list. The
 * sandbox is off here on purpose: the environment alone must not carry the secrets.
 */
const SECRETS = {
  DATABASE_URL: 'postgres://u:pw-database@h/db',
  NPM_CONFIG__AUTH: 'npm-auth-value',
  SSH_AUTH_SOCK: '/run/ssh-agent-socket-value',
  GITEA_TOKEN: 'gitea-token-value',
};
const DOTENV_SECRET = 'aws-secret-from-dotenv';

let root: string;
let work: string;
let loaded: LoadedConfig;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'tp-childenv-'));
  work = path.join(root, 'wt');
  mkdirSync(work);
  writeFileSync(path.join(root, '.env'), `AWS_SECRET_ACCESS_KEY=${DOTENV_SECRET}\n`);
  writeFileSync(
    path.join(root, 'config.json'),
    JSON.stringify({
      agent: { type: 'command', command: 'env', env: ['MY_TOOL_SETTING'], allowCommands: ['env'] },
      sandbox: { mode: 'none' },
    }),
  );
  loaded = loadConfig({
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, MY_TOOL_SETTING: 'listed-extra', ...SECRETS },
  });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function expectClean(printed: string): void {
  expect(printed).toContain('PATH=');
  for (const [name, value] of Object.entries({ ...SECRETS, AWS_SECRET_ACCESS_KEY: DOTENV_SECRET })) {
    expect(printed, name).not.toContain(value);
    expect(printed, name).not.toContain(`${name}=`);
  }
  // A name the user listed in agent.env passes.
  expect(printed).toContain('MY_TOOL_SETTING=listed-extra');
}

describe('every child process gets the allow-listed environment', () => {
  it('the .env secret really is in the service environment (the premise)', () => {
    expect(loaded.env.AWS_SECRET_ACCESS_KEY).toBe(DOTENV_SECRET);
  });

  it('a `command` agent', async () => {
    const agent = createAgent(loaded.config, loaded.env, undefined, noSandbox());
    const res = await agent.run(runInput(work));
    expectClean(res.outputTail);
    expect(res.outputTail).toContain('TP_TASK_ID=42');
  });

  it('a verify command', async () => {
    const [r] = await runVerify({
      commands: ['env'],
      cwd: work,
      env: loaded.env,
      envNames: loaded.config.agent.env,
      timeoutMs: 10_000,
      signal: new AbortController().signal,
      secrets: [],
      sandbox: noSandbox(),
    });
    expect(r?.ok).toBe(true);
    expectClean(r?.outputTail ?? '');
  });

  it("the built-in agent's run_command", async () => {
    const port = new ScriptedPort({ contextLength: 32_768, capabilities: ['tools'] }, [
      calls(['run_command', { command: 'env' }]),
      calls(['finish', { summary: 'done' }]),
      text('done'),
    ]);
    const agent = new BuiltinAgent({
      port,
      allowCommands: loaded.config.agent.allowCommands,
      env: loaded.env,
      envNames: loaded.config.agent.env,
      sandbox: noSandbox(),
    });
    await agent.run(runInput(work));
    const printed = port.requests[1]?.messages.at(-1)?.content ?? '';
    expect(printed).toContain('$ env');
    expectClean(printed);
  });
});
