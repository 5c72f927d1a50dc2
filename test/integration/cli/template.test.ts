import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fillTemplate } from '../../../src/cli/template-command.js';
import { parseOriginalTask } from '../../../src/tasks/index.js';
import { makeProject, runCli } from '../../helpers/project.js';

/** A project as `init` leaves it: config, folders and backlog/task-template.md. */
async function initProject(): Promise<string> {
  const { root } = await makeProject();
  const r = await runCli(['init', '.'], { cwd: root });
  expect(r.code).toBe(0);
  expect(existsSync(path.join(root, 'backlog/task-template.md'))).toBe(true);
  return root;
}

const drafts = (root: string) =>
  readdirSync(path.join(root, 'backlog')).filter((n) => n.endsWith('.md') && n !== 'task-template.md');

/** An "editor": a shell script that runs `sed` on the file it is given. */
function editorScript(dir: string, sedExpr: string): string {
  const file = path.join(dir, 'fake-editor.sh');
  writeFileSync(file, `#!/bin/sh\nsed -i '${sedExpr}' "$1"\necho edited "$1" >> "${dir}/editor-calls.txt"\n`);
  chmodSync(file, 0o755);
  return file;
}

describe('create-from-template', () => {
  it('fills backlog/task-template.md with the next id, the title and a timestamp (non-interactive)', async () => {
    const root = await initProject();
    writeFileSync(path.join(root, 'backlog/todo/task-4 - Existing.md'), '---\ntitle: Existing\n---\n');
    const template = readFileSync(path.join(root, 'backlog/task-template.md'), 'utf8');
    writeFileSync(
      path.join(root, 'backlog/task-template.md'),
      template.replace('priority: medium', 'priority: high # team default'),
    );
    const r = await runCli(['create-from-template', 'Add audit log'], {
      cwd: root,
      env: { EDITOR: 'false' },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const file = path.join(root, 'backlog', 'task-5 - Add audit log.md');
    expect(r.stdout.trim().split('\n').at(-1)).toBe(file);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^title: Add audit log$/m);
    expect(text).toContain('priority: high # team default');
    expect(text).toMatch(/^createdAt: \d{4}-\d\d-\d\dT/m);
    expect(text).toContain('# Notes');
    expect(text).toContain('An observable result a reviewer can check');
    // The npm script of the original's name goes through the same path.
    const s = await runCli(['create-task', '--from-template', '-t', 'Second one'], { cwd: root });
    expect(s.code).toBe(0);
    expect(drafts(root).sort()).toEqual(['task-5 - Add audit log.md', 'task-6 - Second one.md']);
    expect(readFileSync(path.join(root, 'backlog/task-6 - Second one.md'), 'utf8')).toContain(
      'priority: high # team default',
    );
  });

  it('opens $EDITOR on the new file, then validates it and renames it after the edited title', async () => {
    const root = await initProject();
    const editor = editorScript(root, 's/^title: .*/title: Edited title/');
    const r = await runCli(['create-from-template', 'First title', '--edit'], {
      cwd: root,
      env: { EDITOR: editor, VISUAL: '' },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(root, 'editor-calls.txt'), 'utf8')).toContain('task-1 - First title.md');
    expect(drafts(root)).toEqual(['task-1 - Edited title.md']);
    expect(r.stdout).toContain(path.join(root, 'backlog', 'task-1 - Edited title.md'));
  });

  it('--todo puts the edited, valid task in the todo folder', async () => {
    const root = await initProject();
    const editor = editorScript(root, 's/^priority: .*/priority: low/');
    const r = await runCli(['create-from-template', '-t', 'Ship it', '--edit', '--todo'], {
      cwd: root,
      env: { VISUAL: editor },
    });
    expect(r.code).toBe(0);
    expect(readdirSync(path.join(root, 'backlog/todo'))).toEqual(['task-1 - Ship it.md']);
    expect(readFileSync(path.join(root, 'backlog/todo/task-1 - Ship it.md'), 'utf8')).toMatch(
      /^priority: low$/m,
    );
  });

  it('reports what the editor broke, with the line, and keeps the file as a draft', async () => {
    const root = await initProject();
    const editor = editorScript(root, 's/^priority: .*/priority: urgent/');
    const r = await runCli(['create-from-template', 'Broken one', '--edit', '--todo'], {
      cwd: root,
      env: { EDITOR: editor, VISUAL: '' },
    });
    expect(r.code).toBe(1);
    const file = path.join(root, 'backlog', 'task-1 - Broken one.md');
    const line = readFileSync(file, 'utf8').split('\n').indexOf('priority: urgent') + 1;
    expect(line).toBeGreaterThan(1);
    expect(r.stderr).toContain(`${file}:${line}:`);
    expect(r.stderr).toMatch(/priority/);
    expect(readdirSync(path.join(root, 'backlog/todo'))).toEqual([]);
  });

  it("fills the original tool's own template, keeping its fields and renaming its heading", () => {
    const original = readFileSync(path.resolve('test/fixtures/original-install/task-template.md'), 'utf8');
    const text = fillTemplate(original, 'Rate-limit the API', '2026-02-03T04:05:06.000Z', 'task-template.md');
    expect(text).toMatch(/^title: Rate-limit the API$/m);
    expect(text).toMatch(/^createdAt: 2026-02-03T04:05:06.000Z$/m);
    expect(text).not.toContain('2026-01-02T00:00:00Z');
    expect(text).toContain('# Rate-limit the API\n');
    expect(text).not.toContain('# Add OAuth Authentication System');
    expect(text).toContain('  - Token refresh mechanism is implemented');
    const parsed = parseOriginalTask(text, { fileName: 'task-9 - x.md', extractRegex: 'task-(\\d+)' });
    expect(parsed.ok && parsed.task.estimatedHours).toBe(8);
  });

  it('a missing template is an error that names the file and the fix', async () => {
    const { root } = await makeProject();
    const r = await runCli(['create-from-template', 'X'], { cwd: root });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(path.join(root, 'backlog', 'task-template.md'));
    expect(r.stderr).toContain('ticket-processor init');
    rmSync(root, { recursive: true, force: true });
  });

  it('without a title and not interactive, asks for one', async () => {
    const root = await initProject();
    const r = await runCli(['create-from-template'], { cwd: root });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/title/i);
    expect(drafts(root)).toEqual([]);
  });
});
