import { spawn } from 'node:child_process';
import { link, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { App } from '../app.js';
import { TpError } from '../errors/index.js';
import { parseOriginalTask, taskFileName } from '../tasks/index.js';
import { type CliIo, type GlobalOptions, withApp } from './context.js';
import { draftsDir, writeTaskText } from './task-files.js';

/** The file `init` writes beside the state folders. */
export const TEMPLATE_FILE = 'task-template.md';

export interface TemplateOptions extends GlobalOptions {
  title?: string;
  /** true: always open the editor; false: never; unset: only on a terminal. */
  edit?: boolean;
  /** Put the finished task in todo/ (picked up at once) instead of the drafts folder. */
  todo?: boolean;
}

const FRONTMATTER = /^---[ \t]*\r?\n([\s\S]*?\r?\n)?---[ \t]*(?:\r?\n|$)/;

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Fills the template text: `title` and `createdAt` are set in the frontmatter (other fields,
 * their order and comments are kept as the user wrote them), and a `# <template title>`
 * heading in the body follows the new title.
 */
export function fillTemplate(template: string, title: string, createdAt: string, where: string): string {
  const m = FRONTMATTER.exec(template);
  if (!m) {
    throw new TpError(`${where} has no frontmatter (a "---" line, the fields, a closing "---" line).`, {
      code: 'TASK_INVALID',
      hint: 'Rewrite it with `ticket-processor init --force`, or fix it by hand.',
    });
  }
  const doc = parseDocument(m[1] ?? '');
  const bad = doc.errors[0];
  if (bad) {
    const line = (bad.linePos?.[0].line ?? 0) + 1;
    throw new TpError(`${where}:${line}: ${bad.message.split('\n')[0]}`, {
      code: 'TASK_INVALID',
      hint: 'Fix the YAML of the template frontmatter.',
    });
  }
  const oldTitle = String(doc.get('title') ?? '').trim();
  doc.set('title', title);
  doc.set('createdAt', createdAt);
  let body = template.slice(m[0].length);
  if (oldTitle)
    body = body.replace(new RegExp(`^#[ \\t]+${escapeRegex(oldTitle)}[ \\t]*$`, 'm'), `# ${title}`);
  return `---\n${doc.toString({ lineWidth: 0 })}---\n${body}`;
}

function templateTitle(text: string): string {
  const yaml = FRONTMATTER.exec(text)?.[1];
  return yaml ? String(parseDocument(yaml).get('title') ?? '').trim() : '';
}

/** Runs `$VISUAL`/`$EDITOR` on `file` the way git does (through sh, so "code --wait" works). */
function openEditor(io: CliIo, file: string): Promise<void> {
  const editor = io.env.VISUAL?.trim() || io.env.EDITOR?.trim() || 'vi';
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', `${editor} "$@"`, editor, file], {
      stdio: 'inherit',
      env: io.env as NodeJS.ProcessEnv,
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) return resolve();
      reject(
        new TpError(
          `The editor (${editor}) exited with ${signal ?? `code ${code}`}; the draft is kept: ${file}`,
          {
            code: 'TASK_INVALID',
            hint: 'Set VISUAL or EDITOR to an editor that waits until the file is closed (e.g. "code --wait").',
          },
        ),
      );
    });
  });
}

async function readTemplate(app: App): Promise<{ file: string; text: string }> {
  const file = path.join(draftsDir(app), TEMPLATE_FILE);
  try {
    return { file, text: await readFile(file, 'utf8') };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new TpError(`No task template at ${file}.`, {
      code: 'CONFIG_INVALID',
      hint: 'Run `ticket-processor init` (it keeps existing files) to write one, or create it by hand.',
    });
  }
}

/** Moves without ever replacing a file (link + unlink); same folder tree, so one file system. */
async function moveNoClobber(from: string, to: string): Promise<void> {
  if (from === to) return;
  await link(from, to);
  await unlink(from);
}

/**
 * `create-from-template [title]` (the original's `scripts/create-from-template.sh`): a new task
 * from `backlog/task-template.md` with the next free id and a fresh timestamp, opened in
 * `$VISUAL`/`$EDITOR` when interactive, then validated. Prints the file's path.
 */
export async function createFromTemplateCommand(
  io: CliIo,
  titleArg: string | undefined,
  opts: TemplateOptions,
): Promise<number> {
  const interactive = opts.edit ?? io.isTty;
  return withApp(io, opts, async (app) => {
    const template = await readTemplate(app);
    const given = (opts.title ?? titleArg)?.trim();
    if (!given && !interactive) {
      throw new TpError('A title is needed to create a task from the template.', {
        code: 'TASK_INVALID',
        hint: 'Run `ticket-processor create-from-template "Add audit log"` (or -t/--title).',
      });
    }
    // In the editor the user may keep the template's title for now and change it there.
    const title = given || templateTitle(template.text) || 'New task';
    const text = fillTemplate(template.text, title, new Date().toISOString(), template.file);
    const { id, file } = await writeTaskText(app, draftsDir(app), title, () => text);
    if (interactive) await openEditor(io, file);

    const { extractRegex, pattern } = app.loaded.config.taskIdFormat;
    const parsed = parseOriginalTask(await readFile(file, 'utf8'), {
      fileName: path.basename(file),
      extractRegex,
    });
    if (!parsed.ok) {
      for (const p of parsed.problems) io.err(`${file}${p.line ? `:${p.line}` : ''}: ${p.message}`);
      io.err(`  → The draft is kept: fix it, then move it to ${app.folders.todo}`);
      return 1;
    }
    const final = path.join(
      opts.todo ? app.folders.todo : draftsDir(app),
      taskFileName(id, parsed.task.title, pattern),
    );
    await moveNoClobber(file, final);
    io.out(final);
    return 0;
  });
}
