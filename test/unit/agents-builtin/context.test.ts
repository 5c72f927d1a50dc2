import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractKeywords, namedFiles } from '../../../src/agents/builtin/context.js';
import { buildContext, estimateTokens, RepoIndex } from '../../../src/agents/builtin/index.js';
import { tempTree } from './helpers.js';

const TASK = 'Fix rounding in src/billing/invoice.ts: invoiceTotal must round with roundCurrency.';

describe('buildContext', () => {
  let t: Awaited<ReturnType<typeof tempTree>>;
  beforeAll(async () => {
    t = await tempTree();
    for (let d = 0; d < 10; d++) {
      await mkdir(path.join(t.repo, `lib/d${d}`), { recursive: true });
      for (let i = 0; i < 30; i++) {
        await writeFile(
          path.join(t.repo, `lib/d${d}/f${i}.ts`),
          `export function thing${d}_${i}() {\n  return ${i};\n}\n`,
        );
      }
    }
    await mkdir(path.join(t.repo, 'src/billing'), { recursive: true });
    await writeFile(
      path.join(t.repo, 'src/billing/invoice.ts'),
      `export function invoiceTotal(xs: number[]) {\n${'  // line\n'.repeat(40)}  return xs.reduce((a, b) => a + b, 0);\n}\n`,
    );
    await writeFile(
      path.join(t.repo, 'src/billing/money.ts'),
      'export const roundCurrency = (n: number) => Math.round(n * 100) / 100;\n',
    );
    await writeFile(
      path.join(t.repo, 'src/billing/tax.ts'),
      '// uses invoiceTotal\nexport const tax = 0.2;\n',
    );
    for (let i = 0; i < 5; i++) {
      await writeFile(
        path.join(t.repo, `src/billing/report${i}.ts`),
        `// invoiceTotal report ${i}\n${'export const row = invoiceTotal;\n'.repeat(80)}`,
      );
    }
    await mkdir(path.join(t.repo, 'node_modules/x'), { recursive: true });
    await writeFile(path.join(t.repo, 'node_modules/x/invoice.ts'), 'export const invoiceTotal = 1;\n');
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('picks the named file first, then keyword matches, with a full map when it fits', async () => {
    const ctx = await buildContext(new RepoIndex(t.repo), TASK, { budgetTokens: 20_000 });
    expect(ctx.files[0]).toMatchObject({ path: 'src/billing/invoice.ts', reason: 'named in task' });
    expect(ctx.files.map((f) => f.path)).toEqual(
      expect.arrayContaining(['src/billing/money.ts', 'src/billing/tax.ts']),
    );
    expect(ctx.files.map((f) => f.path).some((p) => p.startsWith('node_modules'))).toBe(false);
    expect(ctx.map).toMatchObject({ detail: 'full', filesListed: 308, filesTotal: 308 });
    expect(ctx.text).toContain('lib/d3/f7.ts: thing3_7');
    expect(ctx.tokens).toBeLessThanOrEqual(20_000);
  });

  it.each([1_500, 600, 250])(
    'stays within a budget of %i tokens and reports what was left out',
    async (budget) => {
      const ctx = await buildContext(new RepoIndex(t.repo), TASK, { budgetTokens: budget });
      expect(ctx.tokens).toBeLessThanOrEqual(budget);
      expect(estimateTokens(ctx.text)).toBe(ctx.tokens);
      expect(ctx.map.detail).not.toBe('full');
      if (ctx.files.length < 3) expect(ctx.omitted.length).toBeGreaterThan(0);
    },
  );

  it('drops the lowest-relevance files before the named file', async () => {
    const ctx = await buildContext(new RepoIndex(t.repo), TASK, { budgetTokens: 1_200 });
    expect(ctx.files.map((f) => f.path)).toContain('src/billing/invoice.ts');
    const omitted = ctx.omitted.map((o) => o.path);
    expect(omitted.length).toBeGreaterThan(0);
    expect(omitted).not.toContain('src/billing/invoice.ts');
  });

  it.each([
    ['a plain directory', false],
    ['a git repository', true],
  ])('never pulls a file outside the worktree in through a symlink (%s)', async (_kind, useGit) => {
    const tree = await tempTree();
    try {
      await mkdir(path.join(tree.repo, 'src'));
      await writeFile(path.join(tree.repo, 'src/invoice.ts'), 'export const invoiceTotal = 1;\n');
      await writeFile(
        path.join(tree.base, 'outside-secret.ts'),
        'export const invoiceTotal = "TOP-SECRET";\n',
      );
      await symlink(path.join(tree.base, 'outside-secret.ts'), path.join(tree.repo, 'src/link.ts'));
      if (useGit) execFileSync('git', ['init', '-q'], { cwd: tree.repo });
      const index = new RepoIndex(tree.repo);
      if (useGit) expect(await index.listFiles()).toContain('src/link.ts');
      const ctx = await buildContext(index, `${TASK} See src/link.ts too.`, { budgetTokens: 20_000 });
      expect(ctx.files.map((f) => f.path)).toEqual(['src/invoice.ts']);
      expect(ctx.text).not.toContain('TOP-SECRET');
    } finally {
      await tree.cleanup();
    }
  });

  it('extracts code-like keywords and names files by path or unique base name', () => {
    const kws = extractKeywords(TASK);
    expect(kws.slice(0, 3)).toEqual(expect.arrayContaining(['invoicetotal', 'roundcurrency']));
    const files = [
      { rel: 'src/billing/invoice.ts', size: 1, mtimeMs: 1, symbols: [], lower: '' },
      { rel: 'src/a/money.ts', size: 1, mtimeMs: 1, symbols: [], lower: '' },
    ];
    expect(namedFiles('see money.ts and src/billing/invoice.ts', files).sort()).toEqual([
      'src/a/money.ts',
      'src/billing/invoice.ts',
    ]);
  });
});
