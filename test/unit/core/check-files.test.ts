import { describe, expect, it } from 'vitest';
import { changedFiles, checkDefiningFiles, filesNamedIn } from '../../../src/pipeline/check-files.js';

describe('filesNamedIn: what a verify command runs', () => {
  it.each([
    ['bash scripts/check.sh', ['scripts/check.sh']],
    ['./scripts/test.sh --fast', ['scripts/test.sh']],
    ['CI=1 node tools/lint.mjs src', ['tools/lint.mjs']],
    ['npx vitest run --config vitest.ci.ts', ['vitest.ci.ts']],
    ['npx vitest run --config=vitest.ci.ts', ['vitest.ci.ts']],
    ['make -f build/ci.mk test', ['build/ci.mk']],
    ['npx tsc -p tsconfig.build.json', ['tsconfig.build.json']],
    ['bash -c "sh scripts/a.sh && python3 tools/b.py"', ['sh', 'scripts/a.sh', 'tools/b.py']],
    ['npm test', []],
    ['v=$(cat value.txt); test "$v" = 42', []],
    ['test -f src/y.js', []],
    ['bash ../outside.sh; bash /abs/path.sh', []],
  ])('%s', (command, expected) => {
    expect(filesNamedIn(command)).toEqual(expected);
  });
});

describe('checkDefiningFiles', () => {
  it('flags manifests, lockfiles, task runners, CI and runner config, and files the commands run', () => {
    const changed = [
      'package.json',
      'packages/a/package.json',
      'yarn.lock',
      '.npmrc',
      'Makefile',
      'justfile',
      '.github/workflows/ci.yml',
      '.gitea/workflows/test.yaml',
      '.forgejo/workflows/x.yml',
      '.gitlab-ci.yml',
      'vitest.config.ts',
      'scripts/check.sh',
      'tests/fixtures/data.json',
      'src/index.ts',
      'README.md',
      'value.txt',
    ];
    expect(checkDefiningFiles(changed, ['bash scripts/check.sh', 'pytest tests/', 'cat value.txt'])).toEqual([
      'package.json',
      'packages/a/package.json',
      'yarn.lock',
      '.npmrc',
      'Makefile',
      'justfile',
      '.github/workflows/ci.yml',
      '.gitea/workflows/test.yaml',
      '.forgejo/workflows/x.yml',
      '.gitlab-ci.yml',
      'vitest.config.ts',
      'scripts/check.sh',
    ]);
  });

  it('passes ordinary source changes', () => {
    expect(checkDefiningFiles(['src/a.ts', 'docs/x.md', 'test/a.test.ts'], ['npm test'])).toEqual([]);
  });
});

describe('changedFiles', () => {
  it('reads every path from the headers, quoted and spaced names included, not from hunk lines', () => {
    const diff = [
      'diff --git a/package.json b/package.json',
      'index 1..2 100644',
      '--- a/package.json',
      '+++ b/package.json',
      '@@ -1 +1 @@',
      '--- a/not-a-file.txt',
      '+++ b/neither.txt',
      'diff --git a/my file.txt b/my file.txt',
      'new file mode 100644',
      '--- /dev/null',
      '+++ b/my file.txt\t',
      '@@ -0,0 +1 @@',
      '+x',
      'diff --git "a/caf\\303\\251.sh" "b/caf\\303\\251.sh"',
      'deleted file mode 100644',
      '--- "a/caf\\303\\251.sh"',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      '-x',
    ].join('\n');
    expect(changedFiles(diff).sort()).toEqual(['café.sh', 'my file.txt', 'package.json']);
  });
});
