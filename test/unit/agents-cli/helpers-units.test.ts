import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  agentEnv,
  JsonEventParser,
  looksTransient,
  normalizeOllamaHost,
  packageBinDirs,
  parseCodexEvents,
  resolveBinary,
} from '../../../src/agents/cli/index.js';
import { commandEnv, OutputTail } from '../../../src/sandbox/index.js';
import { makeInput } from './helpers.js';

describe('normalizeOllamaHost', () => {
  it.each([
    ['http://127.0.0.1:11434', 'http://127.0.0.1:11434'],
    ['http://gpu-box:11434/', 'http://gpu-box:11434'],
    ['gpu-box', 'http://gpu-box:11434'],
    ['0.0.0.0:9999', 'http://127.0.0.1:9999'],
    ['https://ollama.example.com/base/', 'https://ollama.example.com/base'],
  ])('%s → %s', (input, out) => {
    expect(normalizeOllamaHost(input)).toBe(out);
  });
});

describe('agentEnv and commandEnv (allow-lists)', () => {
  const base = {
    PATH: '/bin',
    HOME: '/h',
    GITEA_TOKEN: 'x',
    DATABASE_URL: 'postgres://u:p@h/d',
    OPENAI_API_KEY: 'k',
    TP_API_TOKEN: 'api',
    TP_EXTRA: 'e',
  };
  it('a CLI agent gets the base names, listed extras, the TP_* set and its own switches', () => {
    const env = agentEnv(base, makeInput('/w'), { envNames: ['OPENAI_API_KEY'] }, { OLLAMA_API_BASE: 'u' });
    expect(env).toMatchObject({
      PATH: '/bin',
      HOME: '/h',
      OPENAI_API_KEY: 'k',
      TP_EXTRA: 'e',
      OLLAMA_API_BASE: 'u',
    });
    expect(env).toMatchObject({
      TP_TASK_ID: '42',
      TP_WORKDIR: '/w',
      OLLAMA_HOST: 'http://127.0.0.1:11434',
      CI: '1',
    });
    for (const name of ['GITEA_TOKEN', 'DATABASE_URL', 'TP_API_TOKEN']) expect(env).not.toHaveProperty(name);
  });
  it('a command gets no model host and no TP_* task set', () => {
    const env = commandEnv(base, ['DATABASE_URL']);
    expect(env).toEqual({
      PATH: '/bin',
      HOME: '/h',
      TP_EXTRA: 'e',
      DATABASE_URL: 'postgres://u:p@h/d',
      CI: '1',
      GIT_TERMINAL_PROMPT: '0',
      PAGER: 'cat',
      GIT_PAGER: 'cat',
    });
  });
});

describe('JsonEventParser', () => {
  it('parses events split across chunks and ignores non-JSON lines', () => {
    const p = new JsonEventParser();
    const lines =
      'banner\n{"type":"step_start"}\n{"type":"tool_use","part":{"tool":"edit","state":{"status":"error"}}}\n' +
      '{"type":"step_finish","part":{"tokens":{"input":10,"output":2,"reasoning":1}}}\n{not json}\n' +
      '{"type":"text","part":{"text":" done "}}';
    for (let i = 0; i < lines.length; i += 7) p.push(lines.slice(i, i + 7));
    const s = p.end();
    expect(s).toMatchObject({ steps: 1, toolCalls: 1, toolErrors: 1, tools: ['edit'], lastText: 'done' });
    expect(s.tokens).toEqual({ prompt: 10, completion: 3 });
  });

  it('reads error events with status and retryability', () => {
    const p = new JsonEventParser();
    p.push(
      '{"type":"error","error":{"name":"APIError","data":{"message":"boom","statusCode":503,"isRetryable":true}}}\n',
    );
    expect(p.end().errors).toEqual([{ name: 'APIError', message: 'boom', statusCode: 503, retryable: true }]);
  });
});

describe('parseCodexEvents', () => {
  it('sums usage over turns and keeps the last agent message and errors', () => {
    const s = parseCodexEvents(
      [
        '{"type":"turn.completed","usage":{"input_tokens":5,"output_tokens":1}}',
        '{"type":"item.completed","item":{"type":"agent_message","text":"first"}}',
        '{"type":"turn.completed","usage":{"input_tokens":7,"output_tokens":2}}',
        '{"type":"item.completed","item":{"type":"agent_message","text":"second"}}',
        '{"type":"turn.failed","error":{"message":"stream error"}}',
      ].join('\n'),
    );
    expect(s).toEqual({
      tokens: { prompt: 12, completion: 3 },
      turns: 2,
      lastMessage: 'second',
      errors: ['stream error'],
    });
  });
});

describe('looksTransient', () => {
  it.each([
    ['Error: connect ECONNREFUSED 127.0.0.1:11434', true],
    ['503 Service Unavailable', true],
    ['model is loading, retry', true],
    ['TypeError: fetch failed', true],
    ['SyntaxError: Unexpected token in foo.ts', false],
    ['tests failed: 3 failing', false],
  ])('%s → %s', (text, expected) => {
    expect(looksTransient(text)).toBe(expected);
  });
});

describe('OutputTail', () => {
  it('keeps the last bytes without splitting a multi-byte character', () => {
    const t = new OutputTail(10);
    t.push('aaaaaaaaaa');
    t.push('ééééé'); // 10 bytes
    t.push('b');
    const s = t.toString();
    expect(Buffer.byteLength(s)).toBeLessThanOrEqual(10);
    expect(s.endsWith('ééééb')).toBe(true);
    expect(s).not.toContain('\uFFFD');
    expect(t.truncated).toBe(true);
  });
});

describe('resolveBinary', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tp-bin-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prefers PATH, skips non-executables, falls back to extra dirs', () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    mkdirSync(a);
    mkdirSync(b);
    writeFileSync(join(a, 'tool'), '#!/bin/sh\n'); // not executable
    writeFileSync(join(b, 'tool'), '#!/bin/sh\n');
    chmodSync(join(b, 'tool'), 0o755);
    expect(resolveBinary('tool', { env: { PATH: a }, searchPackageBins: false })).toBeUndefined();
    expect(resolveBinary('tool', { env: { PATH: a }, extraDirs: [b], searchPackageBins: false })).toBe(
      join(b, 'tool'),
    );
    expect(resolveBinary('tool', { env: { PATH: `${b}:${a}` }, searchPackageBins: false })).toBe(
      join(b, 'tool'),
    );
  });

  it("finds the package's own pinned kilo in node_modules/.bin without PATH", () => {
    const found = resolveBinary('kilo', { env: { PATH: '' } });
    expect(found).toMatch(/node_modules\/\.bin\/kilo$/);
    expect(packageBinDirs()[0]).toMatch(/src\/agents\/cli\/node_modules\/\.bin$/);
  });
});
