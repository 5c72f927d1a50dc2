import { describe, expect, it } from 'vitest';
import {
  chooseMode,
  extractSymbols,
  isAllowed,
  parseAllowList,
  planWindow,
  splitWords,
} from '../../../src/agents/builtin/index.js';
import { stripProvider } from '../../../src/models/index.js';

describe('run_command allow-list', () => {
  const rules = parseAllowList(['npm test', 'git diff', 'npm run lint *', "node -e 'x y'"]);
  it.each([
    [['npm', 'test'], true],
    [['npm', 'test', '--', '--watch'], false],
    [['git', 'diff', '--output=/tmp/x'], false],
    [['npm', 'run', 'lint'], true],
    [['npm', 'run', 'lint', '--fix'], true],
    [['npm', 'run'], false],
    [['node', '-e', 'x y'], true],
    [['bash', '-c', 'npm test'], false],
  ])('%j allowed=%s', (argv, ok) => {
    expect(isAllowed(rules, argv)).toBe(ok);
  });
  it('splits words with quotes and no expansion', () => {
    expect(splitWords(`a "b c" 'd $HOME' e\\f`)).toEqual(['a', 'b c', 'd $HOME', 'e\\f']);
  });
});

describe('mode and window', () => {
  it('uses /api/show capabilities, then the name lists', () => {
    expect(
      chooseMode('qwen2.5-coder:7b', { contextLength: 0, capabilities: ['completion', 'tools'] }, 'auto'),
    ).toBe('tools');
    expect(chooseMode('qwen2.5-coder:7b', { contextLength: 0, capabilities: ['completion'] }, 'auto')).toBe(
      'text',
    );
    expect(chooseMode('deepseek-coder', { contextLength: 0, capabilities: [] }, 'auto')).toBe('text');
    expect(chooseMode('llama3.1:8b', { contextLength: 0, capabilities: [] }, 'auto')).toBe('tools');
    expect(chooseMode('llama3.1:8b', { contextLength: 0, capabilities: ['tools'] }, 'text')).toBe('text');
  });
  it('num_ctx = min(model length, budget + reserve); forced value still capped', () => {
    expect(
      planWindow(
        { contextLength: 131_072, capabilities: [] },
        { contextTokens: 16_384, replyReserve: 4_096 },
      ),
    ).toMatchObject({
      numCtx: 20_480,
      reserve: 4_096,
      promptBudget: 16_384,
    });
    const small = planWindow(
      { contextLength: 2_048, capabilities: [] },
      { contextTokens: 16_384, replyReserve: 4_096 },
    );
    expect(small).toMatchObject({ numCtx: 2_048, reserve: 512, promptBudget: 1_536 });
    expect(small.notes[0]).toMatch(/below the requested/);
    expect(
      planWindow(
        { contextLength: 8_192, capabilities: [] },
        { contextTokens: 1, replyReserve: 1, numCtx: 65_536 },
      ).numCtx,
    ).toBe(8_192);
  });
  it('accepts the ollama/ prefix', () => {
    expect(stripProvider('ollama/deepseek-coder:6.7b')).toBe('deepseek-coder:6.7b');
    expect(stripProvider('codellama')).toBe('codellama');
  });
});

describe('extractSymbols', () => {
  it.each([
    [
      'a.ts',
      'export async function load() {}\nexport class Repo {}\nconst x = 1;\ninterface Opts {}\n',
      ['load', 'Repo', 'Opts'],
    ],
    [
      'a.py',
      'import os\nclass Store:\n    def inner(self): pass\ndef main():\n    pass\n',
      ['Store', 'main'],
    ],
    [
      'a.go',
      'package x\nfunc (s *S) Run() error {}\ntype S struct{}\nfunc New() *S {}\n',
      ['Run', 'S', 'New'],
    ],
    [
      'a.rs',
      'pub struct Point;\nimpl Display for Point {}\npub(crate) fn area() {}\n',
      ['Point', 'Display for Point', 'area'],
    ],
    ['a.txt', 'function nope() {}', []],
  ])('%s', (file, src, want) => {
    expect(extractSymbols(file, src)).toEqual(want);
  });
});
