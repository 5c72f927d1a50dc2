import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  parseNewTaskInputs,
  parseOriginalTask,
  serializeOriginalTask,
  taskFileName,
} from '../../../src/tasks/index.js';

const RX = 'task-(\\d+)';
let dir = '';
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('original format on disk: bulk JSON → files → parse', () => {
  it('writes every task of a bulk file under a safe name and reads each back unchanged', () => {
    dir = mkdtempSync(join(tmpdir(), 'tp-tasks-'));
    const todo = join(dir, 'backlog', 'todo');
    mkdirSync(todo, { recursive: true });
    const bulk = [
      {
        title: 'Add user authentication',
        priority: 'high',
        labels: ['backend'],
        acceptanceCriteria: ['a', 'b'],
      },
      {
        title: 'Fix: crash on "empty" input / CRLF',
        description: 'Steps:\n1. run\n2. crash',
        dependencies: ['task-1'],
      },
      { title: 'Ünïcode — 日本語 title', estimatedHours: 2, model: 'ollama/codellama', autoProcess: true },
    ];
    writeFileSync(join(dir, 'tasks.json'), JSON.stringify(bulk, null, 2));
    const res = parseNewTaskInputs(JSON.parse(readFileSync(join(dir, 'tasks.json'), 'utf8')));
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    res.tasks.forEach((input, i) => {
      const id = String(i + 1);
      writeFileSync(join(todo, taskFileName(id, input.title)), serializeOriginalTask(input, id));
    });

    const names = readdirSync(todo).sort();
    expect(names).toEqual([
      'task-1 - Add user authentication.md',
      'task-2 - Fix crash on empty input CRLF.md',
      'task-3 - Ünïcode — 日本語 title.md',
    ]);
    const tasks = names.map((name) => {
      const parsed = parseOriginalTask(readFileSync(join(todo, name), 'utf8'), {
        fileName: name,
        extractRegex: RX,
      });
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
      return parsed.task;
    });
    expect(tasks.map((t) => [t.id, t.title, t.priority])).toEqual([
      ['1', 'Add user authentication', 'high'],
      ['2', 'Fix: crash on "empty" input / CRLF', 'medium'],
      ['3', 'Ünïcode — 日本語 title', 'medium'],
    ]);
    expect(tasks[1]?.description).toBe('Steps:\n1. run\n2. crash');
    expect(tasks[1]?.dependencies).toEqual(['1']);
    expect(tasks[2]?.model).toBe('ollama/codellama');
  });

  it('reads a file a Windows editor saved (CRLF + BOM) and reports a broken one with its line', () => {
    dir = mkdtempSync(join(tmpdir(), 'tp-tasks-'));
    const good = join(dir, 'task-8 - Windows.md');
    writeFileSync(
      good,
      `\uFEFF${serializeOriginalTask({ title: 'Windows', labels: ['x'] }, '8').replace(/\n/g, '\r\n')}`,
    );
    const parsed = parseOriginalTask(readFileSync(good, 'utf8'), { fileName: good, extractRegex: RX });
    expect(parsed.ok && parsed.task.labels).toEqual(['x']);

    const bad = join(dir, 'task-9 - Broken.md');
    writeFileSync(bad, '---\r\ntitle: Broken\r\npriority: urgent\r\nlabels: [a\r\n---\r\n');
    const broken = parseOriginalTask(readFileSync(bad, 'utf8'), { fileName: bad, extractRegex: RX });
    expect(broken.ok).toBe(false);
    if (broken.ok) return;
    expect(broken.problems[0]?.line).toBe(4);
    expect(broken.problems[0]?.message).toMatch(/^invalid YAML in frontmatter at line 4/);
  });
});
