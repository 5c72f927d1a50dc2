import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommandAgent, renderCommandTemplate, shellQuote } from '../../../src/agents/cli/index.js';
import { TpError } from '../../../src/errors/index.js';
import { makeInput, makeTask } from './helpers.js';

const env = { PATH: process.env.PATH, HOME: process.env.HOME };

async function rejection(p: Promise<unknown>): Promise<TpError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!TpError.isInstance(err)) throw new Error(`expected a TpError, got ${String(err)}`);
  return err;
}

describe('shell template', () => {
  it.each([
    ['plain', 'plain'],
    ['', "''"],
    ['with space', "'with space'"],
    ["it's", "'it'\\''s'"],
    ['$(touch x)', "'$(touch x)'"],
  ])('quotes %j as %s', (value, quoted) => {
    expect(shellQuote(value)).toBe(quoted);
  });

  it('substitutes known placeholders and leaves shell braces alone', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax, not a JS template
    const out = renderCommandTemplate('run {model} {promptFile} ${HOME} {a,b} {unknown} ${model}', {
      model: 'm:1',
      promptFile: '/tmp/p q.md',
    });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax, not a JS template
    expect(out).toBe("run m:1 '/tmp/p q.md' ${HOME} {a,b} {unknown} ${model}");
  });
});

describe('CommandAgent', () => {
  let root: string;
  let work: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tp-cmd-'));
    work = join(root, 'wt');
    mkdirSync(work);
    writeFileSync(join(root, 'prompt.md'), 'Create hello.txt\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('runs in the worktree with the TP_* env and substituted values', async () => {
    const agent = new CommandAgent({
      command:
        'printf "%s|%s|%s|%s|%s|%s|%s" "$TP_TASK_ID" "$TP_MODEL" "$TP_WORKDIR" "$TP_PROMPT_FILE" "$TP_TASK_FILE" "$OLLAMA_HOST" {model} > out.txt; echo done',
      env,
    });
    const input = makeInput(work);
    const res = await agent.run(input);
    expect(res.stopReason).toBe('done');
    expect(res.summary).toMatch(/^command finished in [\d.]+ s: done$/);
    expect(readFileSync(join(work, 'out.txt'), 'utf8')).toBe(
      [
        '42',
        'qwen2.5-coder:7b',
        work,
        input.promptFile,
        input.taskFile,
        'http://127.0.0.1:11434',
        'qwen2.5-coder:7b',
      ].join('|'),
    );
  });

  it('cannot be injected through model text or task ids', async () => {
    const agent = new CommandAgent({ command: 'printf "%s\\n" {model} {taskId} > args.txt', env });
    const evil = `x'; touch PWNED; echo '$(touch PWNED2)\`touch PWNED3\``;
    await agent.run(makeInput(work, { model: evil, task: makeTask('1; touch PWNED4') }));
    expect(readFileSync(join(work, 'args.txt'), 'utf8')).toBe(`${evil}\n1; touch PWNED4\n`);
    for (const f of ['PWNED', 'PWNED2', 'PWNED3', 'PWNED4']) {
      expect(() => readFileSync(join(work, f))).toThrow();
    }
  });

  it('turns a non-zero exit into a permanent AGENT_FAILED with the output tail', async () => {
    const agent = new CommandAgent({ command: 'echo "compile error in foo.ts" >&2; exit 2', env });
    const err = await rejection(agent.run(makeInput(work)));
    expect(err.code).toBe('AGENT_FAILED');
    expect(err.retryable).toBe(false);
    expect(err.taskId).toBe('42');
    expect(err.details.exitCode).toBe(2);
    expect(err.details.outputTail).toContain('compile error in foo.ts');
  });

  it('marks a failure retryable when the output shows a network error', async () => {
    const agent = new CommandAgent({
      command: 'echo "Error: connect ECONNREFUSED 127.0.0.1:11434" >&2; exit 1',
      env,
    });
    const err = await rejection(agent.run(makeInput(work)));
    expect(err.code).toBe('AGENT_FAILED');
    expect(err.retryable).toBe(true);
  });

  it('reports a timeout as retryable AGENT_TIMEOUT', async () => {
    const agent = new CommandAgent({ command: 'echo working; sleep 30', env, killGraceMs: 500 });
    const err = await rejection(agent.run(makeInput(work, { budget: { timeoutMs: 300 } })));
    expect(err.code).toBe('AGENT_TIMEOUT');
    expect(err.retryable).toBe(true);
    expect(err.details.outputTail).toContain('working');
  });

  it('reports a missing binary as AGENT_NOT_FOUND naming it', async () => {
    const agent = new CommandAgent({ command: 'tp-missing-agent-xyz --go', env });
    const err = await rejection(agent.run(makeInput(work)));
    expect(err.code).toBe('AGENT_NOT_FOUND');
    expect(err.message).toContain('tp-missing-agent-xyz');
    expect(err.hint).toContain('tp-missing-agent-xyz');
  });

  it('reports an abort as ABORTED', async () => {
    const ac = new AbortController();
    const agent = new CommandAgent({ command: 'sleep 30', env });
    const p = agent.run(makeInput(work, { signal: ac.signal }));
    setTimeout(() => ac.abort(), 100);
    const err = await rejection(p);
    expect(err.code).toBe('ABORTED');
  });

  it('forwards output chunks to onOutput', async () => {
    const chunks: string[] = [];
    const agent = new CommandAgent({ command: 'echo live-line', env });
    await agent.run(makeInput(work, { onOutput: (c) => chunks.push(c) }));
    expect(chunks.join('')).toBe('live-line\n');
  });

  it('rejects an empty template', () => {
    expect(() => new CommandAgent({ command: '  ', env })).toThrow(TypeError);
  });
});

describe('CommandAgent follow-up', () => {
  it('passes a long follow-up through TP_FOLLOW_UP without hitting the kernel limit', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tp-cmd-fu-'));
    try {
      const followUp = `${'x'.repeat(300_000)}\nFAILED: 2 tests`;
      const agent = new CommandAgent({ command: 'printf %s "$TP_FOLLOW_UP" | tail -c 20', env });
      const res = await agent.run(makeInput(root, { followUp }));
      expect(res.outputTail).toBe('xxxx\nFAILED: 2 tests');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
