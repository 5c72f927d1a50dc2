import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanDiff } from '../../src/review/index.js';
import type { PreparedWorktree, Workspace } from '../../src/workspace/index.js';
import { cleanGit } from '../helpers/clean-git.js';
import { makeProject } from '../helpers/project.js';
import { testWorkspace } from '../helpers/workspace.js';

/**
 * Issue 9, finding 4: `.gitattributes` `*.cfg -diff` or a NUL byte made git print "Binary
 * files differ", so the secret scan saw no added line and an AWS key was pushed. The staged
 * diff of a real worktree must show every byte, and the scan must read it.
 */
const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE';

let ws: Workspace;
let remote: string;
let wt: PreparedWorktree;

beforeEach(async () => {
  const project = await makeProject();
  remote = project.remote;
  ws = testWorkspace(project.root);
  wt = await ws.prepare(remote, 'main', 'task-1');
});

afterEach(async () => {
  await ws.cleanup(remote, wt);
});

const rules = (diff: string, file: string) =>
  scanDiff(diff)
    .filter((f) => f.file === file)
    .map((f) => f.rule);

describe('the secret scan cannot be blinded', () => {
  it('finds a key in a file that .gitattributes marks -diff', async () => {
    await writeFile(path.join(wt.dir, '.gitattributes'), '*.cfg -diff\n');
    await writeFile(path.join(wt.dir, 'a.cfg'), `[aws]\nkey = ${AWS_KEY}\n`);
    const diff = await ws.diff(wt);
    expect(diff).not.toMatch(/^Binary files/m);
    expect(rules(diff, 'a.cfg')).toContain('AWS access key id');
  });

  it('finds a key in a file with a NUL byte (binary to git)', async () => {
    await writeFile(
      path.join(wt.dir, 'blob.bin'),
      Buffer.concat([Buffer.from([0, 1, 2, 0xff, 0]), Buffer.from(`\n${AWS_KEY}\n`)]),
    );
    const diff = await ws.diff(wt);
    expect(rules(diff, 'blob.bin')).toContain('AWS access key id');
  });

  it('finds a key on the same line as NUL bytes and invalid UTF-8', async () => {
    await writeFile(
      path.join(wt.dir, 'same-line.bin'),
      Buffer.concat([Buffer.from([0, 0xc3, 0x28, 0]), Buffer.from(` ${AWS_KEY} `), Buffer.from([0])]),
    );
    expect(rules(await ws.diff(wt), 'same-line.bin')).toContain('AWS access key id');
  });

  it('finds a key behind a textconv driver of the repository config', async () => {
    await cleanGit(wt.cache as string, ['config', 'diff.hide.textconv', 'sed s/AKIA/XXXX/']);
    await cleanGit(wt.cache as string, ['config', 'diff.hide.binary', 'true']);
    await writeFile(path.join(wt.dir, '.gitattributes'), '*.txt diff=hide\n');
    await writeFile(path.join(wt.dir, 'notes.txt'), `${AWS_KEY}\n`);
    expect(rules(await ws.diff(wt), 'notes.txt')).toContain('AWS access key id');
  });

  it('finds a key on an added line that starts with "++ " (looks like a file header)', async () => {
    await writeFile(path.join(wt.dir, 'header-like.txt'), `first\n++ b/${AWS_KEY}\n`);
    expect(rules(await ws.diff(wt), 'header-like.txt')).toContain('AWS access key id');
  });

  it('finds a key at the end of a 4 MB line', async () => {
    await writeFile(path.join(wt.dir, 'long.min.js'), `${'a'.repeat(4 * 1024 * 1024)} ${AWS_KEY}\n`);
    const diff = await ws.diff(wt);
    const started = Date.now();
    expect(rules(diff, 'long.min.js')).toContain('AWS access key id');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('scanDiff on diffs it cannot read', () => {
  it('reports a binary file whose content the diff does not show, instead of passing it', () => {
    const diff = [
      'diff --git a/k.cfg b/k.cfg',
      'new file mode 100644',
      'index 0000000..1111111',
      'Binary files /dev/null and b/k.cfg differ',
    ].join('\n');
    expect(scanDiff(diff)).toEqual([{ file: 'k.cfg', line: 0, rule: expect.stringMatching(/binary/i) }]);
  });

  it('reports a diff too large to scan, instead of passing it', () => {
    const diff = [
      'diff --git a/x b/x',
      '--- /dev/null',
      '+++ b/x',
      '@@ -0,0 +1 @@',
      `+${'x'.repeat(2048)}`,
    ].join('\n');
    expect(scanDiff(diff, { maxBytes: 1024 })).toEqual([
      { file: '(whole change)', line: 0, rule: expect.stringMatching(/too large to scan/) },
    ]);
  });
});
