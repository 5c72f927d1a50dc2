import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runTool, type ToolContext } from '../../src/agents/builtin/tools/index.js';
import { tempTree, toolContext } from '../unit/agents-builtin/helpers.js';

/**
 * Finding 10, first part: the model's regex `^(a+)+$` on a line of 29 `a`s blocked the event
 * loop for 22 s. With 40 `a`s and a `!` the backtracking would take days; the search must end
 * with a "timed out" answer while the service's timers keep running.
 */
let tree: Awaited<ReturnType<typeof tempTree>>;
let ctx: ToolContext;

beforeEach(async () => {
  tree = await tempTree();
  writeFileSync(path.join(tree.repo, 'evil.txt'), `${'a'.repeat(40)}!\n`);
  writeFileSync(path.join(tree.repo, 'ok.ts'), 'export const answer = 42;\n');
  ctx = toolContext(tree.repo, { searchTimeoutMs: 1_000 });
});
afterEach(() => tree.cleanup());

describe('regex search', () => {
  it('a catastrophic pattern times out without blocking the event loop', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    try {
      const out = await runTool('search', { query: '^(a+)+$', regex: true }, ctx);
      expect(out.kind === 'result' && out.text).toMatch(/search timed out/);
    } finally {
      clearInterval(timer);
    }
    // A blocked loop would not have ticked at all during the one-second budget.
    expect(ticks).toBeGreaterThan(5);
  }, 60_000);

  it('ordinary regex searches still answer with path:line hits', async () => {
    const out = await runTool('search', { query: 'answer\\s*=\\s*\\d+', regex: true }, ctx);
    expect(out).toEqual({ kind: 'result', text: 'ok.ts:1: export const answer = 42;' });
  });

  it('an invalid pattern is reported to the model', async () => {
    const out = await runTool('search', { query: '(unclosed', regex: true }, ctx);
    expect(out.kind === 'result' && out.text).toMatch(/^error: invalid regex/);
  });
});
