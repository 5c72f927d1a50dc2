import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type TaskFolderWatch, watchTaskFolders } from '../../../src/intake/folder-watch.js';
import { readTaskFile } from '../../../src/intake/safe-read.js';
import { tmpDir } from '../../helpers/project.js';

const open: TaskFolderWatch[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const w of open.splice(0)) await w.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function folder(): { root: string; todo: string } {
  const root = tmpDir('tp-folder-watch-');
  dirs.push(root);
  const todo = path.join(root, 'todo');
  mkdirSync(todo);
  return { root, todo };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

describe('watchTaskFolders', () => {
  it('reports files written in, moved in and rewritten in a folder, by full path', async () => {
    const { root, todo } = folder();
    const seen = new Set<string>();
    open.push(
      watchTaskFolders(
        [todo],
        (f) => seen.add(f),
        (err) => expect.fail(err.message),
      ),
    );
    writeFileSync(path.join(todo, 'task-1 - A.md'), 'a');
    writeFileSync(path.join(root, 'task-2 - B.md'), 'b');
    renameSync(path.join(root, 'task-2 - B.md'), path.join(todo, 'task-2 - B.md'));
    await until(
      () => seen.has(path.join(todo, 'task-1 - A.md')) && seen.has(path.join(todo, 'task-2 - B.md')),
    );
    seen.clear();
    writeFileSync(path.join(todo, 'task-1 - A.md'), 'a, longer');
    await until(() => seen.has(path.join(todo, 'task-1 - A.md')));
  });

  it('reports nothing after close, and a missing folder as an error instead of throwing', async () => {
    const { root, todo } = folder();
    const seen: string[] = [];
    const errors: Error[] = [];
    const w = watchTaskFolders(
      [todo, path.join(root, 'missing')],
      (f) => seen.push(f),
      (err) => errors.push(err),
    );
    expect(errors).toEqual([expect.objectContaining({ code: 'ENOENT' })]);
    await w.close();
    writeFileSync(path.join(todo, 'task-3 - C.md'), 'c');
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([]);
  });
});

describe('readTaskFile', () => {
  it('reads files of any size up to the cap whole, and refuses one past it', async () => {
    const { todo } = folder();
    for (const size of [0, 1, 4095, 65_536, 200_000]) {
      const file = path.join(todo, `f-${size}.md`);
      const text = 'é'.repeat(size >> 1) + 'x'.repeat(size & 1);
      writeFileSync(file, text);
      expect(await readTaskFile(file, 1_048_576)).toEqual({ ok: true, text });
      expect(await readTaskFile(file, Math.max(0, size - 1))).toEqual(
        size === 0 ? { ok: true, text: '' } : { ok: false, refused: expect.stringContaining('larger than') },
      );
    }
  });
});
