import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AiderAgent,
  CodexAgent,
  createCliAgent,
  KiloAgent,
  OpenCodeAgent,
} from '../../../src/agents/cli/index.js';
import { TpError } from '../../../src/errors/index.js';
import { buildPrompt } from '../../../src/pipeline/prompt.js';
import { makeInput, makeTask } from './helpers.js';

const STAND_INS = resolve(import.meta.dirname, '../../fixtures/agents/stand-ins');
/** The stand-ins' own switches pass only when listed, as `agent.env` names them for real agents. */
const envNames = ['STANDIN_LOG', 'STANDIN_MODE'];

async function rejection(p: Promise<unknown>): Promise<TpError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!TpError.isInstance(err)) throw new Error(`expected a TpError, got ${String(err)}`);
  return err;
}

/** Lines `ARG x` / `ENV K=V` written by a stand-in. */
function readLog(file: string): { args: string[]; env: Map<string, string>; cwd: string | undefined } {
  const lines = readFileSync(file, 'utf8').split('\n');
  const env = new Map<string, string>();
  for (const l of lines.filter((x) => x.startsWith('ENV '))) {
    const kv = l.slice(4);
    const eq = kv.indexOf('=');
    env.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  return {
    args: lines.filter((l) => l.startsWith('ARG ')).map((l) => l.slice(4)),
    env,
    cwd: lines.find((l) => l.startsWith('CWD '))?.slice(4),
  };
}

describe('CLI agents with stand-in binaries', () => {
  let root: string;
  let work: string;
  let log: string;
  let baseEnv: Record<string, string | undefined>;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tp-named-'));
    work = join(root, 'wt');
    mkdirSync(work);
    log = join(root, 'standin.log');
    writeFileSync(join(root, 'prompt.md'), 'Create edited.txt\n');
    baseEnv = {
      PATH: `${STAND_INS}:${process.env.PATH}`,
      HOME: process.env.HOME,
      STANDIN_LOG: log,
      GITEA_TOKEN: 'gt-should-not-leak',
      GITEA_WEBHOOK_SECRET: 'whs-should-not-leak',
    };
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  describe.each([
    ['kilo', KiloAgent, 'KILO'],
    ['opencode', OpenCodeAgent, 'OPENCODE'],
  ] as const)('%s', (name, Ctor, prefix) => {
    it('runs headless with the Ollama provider config and parses the JSON events', async () => {
      const agent = new Ctor({ env: baseEnv, envNames });
      const res = await agent.run(
        makeInput(work, { model: 'ollama/qwen2.5-coder:7b', ollamaHost: 'http://127.0.0.1:5555/' }),
      );
      expect(readFileSync(join(work, 'edited.txt'), 'utf8')).toBe('edited by stand-in\n');
      expect(res.stopReason).toBe('done');
      expect(res.tokens).toEqual({ prompt: 2500, completion: 38 });
      expect(res.iterations).toBe(2);
      expect(res.summary).toContain(`${name} finished`);
      expect(res.summary).toContain('tools: write');
      expect(res.summary).toContain('Created edited.txt.');

      const { args, env, cwd } = readLog(log);
      expect(cwd).toBe(work);
      expect(args.slice(0, 6)).toEqual([
        'run',
        '--auto',
        '--format',
        'json',
        '-m',
        'ollama/qwen2.5-coder:7b',
      ]);
      expect(args.at(-1)).toBe('Create hello.txt');
      const config = JSON.parse(env.get(`${prefix}_CONFIG_CONTENT`) ?? '{}');
      expect(config.provider.ollama.npm).toBe('@ai-sdk/openai-compatible');
      expect(config.provider.ollama.options.baseURL).toBe('http://127.0.0.1:5555/v1');
      expect(Object.keys(config.provider.ollama.models)).toEqual(['qwen2.5-coder:7b']);
      expect(JSON.parse(env.get(`${prefix}_PERMISSION`) ?? '{}')).toMatchObject({ '*': 'allow' });
      expect(env.get(`${prefix}_DISABLE_AUTOUPDATE`)).toBe('1');
      expect(env.get('TP_TASK_ID')).toBe('42');
      // Forge credentials never reach the agent (a model with a shell could read them).
      expect([...env.keys()].some((k) => /TOKEN|SECRET/.test(k))).toBe(false);
      // No tool config file is dropped into the worktree.
      expect(readdirSync(work).sort()).toEqual(['edited.txt']);
    });

    it('maps a model-not-found event to MODEL_NOT_FOUND (permanent)', async () => {
      const agent = new Ctor({ env: { ...baseEnv, STANDIN_MODE: 'error-404' }, envNames });
      const err = await rejection(agent.run(makeInput(work)));
      expect(err.code).toBe('MODEL_NOT_FOUND');
      expect(err.retryable).toBe(false);
      expect(err.hint).toContain('ollama pull qwen2.5-coder:7b');
    });

    it('maps an unreachable Ollama to retryable MODEL_UNAVAILABLE', async () => {
      const agent = new Ctor({ env: { ...baseEnv, STANDIN_MODE: 'refused' }, envNames });
      const err = await rejection(agent.run(makeInput(work)));
      expect(err.code).toBe('MODEL_UNAVAILABLE');
      expect(err.retryable).toBe(true);
    });

    it('reports a crash as AGENT_FAILED with the output tail', async () => {
      const agent = new Ctor({ env: { ...baseEnv, STANDIN_MODE: 'crash' }, envNames });
      const err = await rejection(agent.run(makeInput(work)));
      expect(err.code).toBe('AGENT_FAILED');
      expect(err.details.outputTail).toContain('panic: something broke');
    });
  });

  it('kilo: a prompt starting with a dash is not taken for a flag; the follow-up is sent once', async () => {
    const agent = new KiloAgent({ env: baseEnv, envNames });
    const followUp = 'npm test failed: 1 failing';
    // As in the pipeline: the prompt (pipeline/prompt.ts) already holds the follow-up.
    const prompt = `--help me\n<<<FOLLOWUP\n${followUp}\nFOLLOWUP>>>`;
    await agent.run(makeInput(work, { prompt, followUp }));
    // The stand-in logs one `ARG` line per argument; this one spans several lines.
    const args = readFileSync(log, 'utf8').split('\nENV ')[0]!;
    expect(args).toContain(`ARG Task: ${prompt}`);
    expect(args.split(followUp)).toHaveLength(2);
  });

  it('kilo: a missing binary names the install command', async () => {
    const agent = new KiloAgent({ env: { PATH: root }, binPath: join(root, 'nope', 'kilo') });
    const err = await rejection(agent.run(makeInput(work)));
    expect(err.code).toBe('AGENT_NOT_FOUND');
    expect(err.hint).toContain('npm i -g @kilocode/cli@7.7.7');
    expect(readdirSync(work)).toEqual([]);
  });

  it('codex: exec --oss against Ollama in the worktree, with usage parsed', async () => {
    const agent = new CodexAgent({ env: baseEnv, envNames });
    const res = await agent.run(makeInput(work, { ollamaHost: '127.0.0.1:7777' }));
    expect(readFileSync(join(work, 'codex.txt'), 'utf8')).toBe('codex was here\n');
    expect(res.tokens).toEqual({ prompt: 900, completion: 40 });
    expect(res.summary).toContain('Wrote codex.txt');
    const { args, env } = readLog(log);
    expect(args.slice(0, 11)).toEqual([
      'exec',
      '--oss',
      '--local-provider',
      'ollama',
      '-m',
      'qwen2.5-coder:7b',
      '-C',
      work,
      '--full-auto',
      '--skip-git-repo-check',
      '--json',
    ]);
    expect(env.get('CODEX_OSS_BASE_URL')).toBe('http://127.0.0.1:7777/v1');
  });

  it('codex: missing binary → AGENT_NOT_FOUND naming @openai/codex', async () => {
    const agent = new CodexAgent({ env: { PATH: root }, binPath: join(root, 'codex') });
    const err = await rejection(agent.run(makeInput(work)));
    expect(err.code).toBe('AGENT_NOT_FOUND');
    expect(err.hint).toContain('npm i -g @openai/codex');
  });

  it('aider: runs the stand-in on PATH with the message file, model and API base', async () => {
    const agent = new AiderAgent({ env: baseEnv, envNames });
    const input = makeInput(work, { promptFile: join(root, 'prompt.md') });
    const res = await agent.run(input);
    expect(res.summary).toContain('Applied edit to AIDER_RAN.txt');
    const ran = readFileSync(join(work, 'AIDER_RAN.txt'), 'utf8');
    expect(ran).toContain('model=ollama_chat/qwen2.5-coder:7b');
    expect(ran).toContain('api_base=http://127.0.0.1:11434');
    expect(ran).toContain('task=42');
    expect(ran).toContain('Create edited.txt');
    // Aider's history files went elsewhere: only the edit is in the worktree.
    expect(readdirSync(work)).toEqual(['AIDER_RAN.txt']);
  });

  it('aider: the prompt file, which holds the follow-up, is the message, with the follow-up once', async () => {
    const agent = new AiderAgent({ env: baseEnv, envNames });
    const prompt = buildPrompt(makeTask(), 'lint failed');
    writeFileSync(join(root, 'prompt.md'), prompt);
    await agent.run(
      makeInput(work, { promptFile: join(root, 'prompt.md'), prompt, followUp: 'lint failed' }),
    );
    const ran = readFileSync(join(work, 'AIDER_RAN.txt'), 'utf8');
    expect(ran).toContain('<<<FOLLOWUP\nlint failed\nFOLLOWUP>>>');
    expect(ran.split('lint failed')).toHaveLength(2);
  });

  it('aider through the command template works the same way', async () => {
    const agent = createCliAgent('command', {
      env: baseEnv,
      command: 'aider --model ollama_chat/{model} --message-file {promptFile} --yes-always --no-auto-commits',
    });
    await agent.run(makeInput(work, { promptFile: join(root, 'prompt.md') }));
    expect(readFileSync(join(work, 'AIDER_RAN.txt'), 'utf8')).toContain('model=ollama_chat/qwen2.5-coder:7b');
  });

  it('createCliAgent builds each type and rejects a command type without a template', () => {
    for (const t of ['kilo', 'opencode', 'codex', 'aider'] as const) {
      expect(createCliAgent(t, { env: baseEnv }).name).toBe(t);
    }
    expect(createCliAgent('command', { env: baseEnv, command: 'true' }).name).toBe('command');
    try {
      createCliAgent('command', { env: baseEnv });
      throw new Error('should have thrown');
    } catch (e) {
      expect(TpError.isInstance(e) && e.code).toBe('CONFIG_INVALID');
    }
  });
});
