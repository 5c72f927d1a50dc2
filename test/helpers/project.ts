import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDemoRemote } from '../../src/demo/setup.js';

export const BIN = path.resolve('bin/ticket-processor.js');

export function tmpDir(prefix = 'tp-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function gitOut(args: string[], cwd: string): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}

/** A project dir with a bare remote (`remote.git`) and a config.json pointing at it. */
export async function makeProject(
  config: Record<string, unknown> = {},
): Promise<{ root: string; remote: string }> {
  const root = tmpDir();
  const remote = await createDemoRemote(root);
  const base = {
    repository: { url: 'remote.git', baseBranch: 'main' },
    webhook: { enabled: false },
    git: { pushRetryDelay: 10 },
    ollama: { retryDelay: 10 },
  };
  writeFileSync(path.join(root, 'config.json'), JSON.stringify(deepMerge(base, config), null, 2));
  for (const f of ['todo', 'doing', 'review', 'failed', 'completed'])
    mkdirSync(path.join(root, 'backlog', f), { recursive: true });
  return { root, remote };
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object'
        ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

export interface TaskSpec {
  title?: string;
  priority?: string;
  model?: string;
  dependencies?: string[];
  description?: string;
  extra?: string;
}

/** Writes a task file in the original format into `backlog/todo`. */
export function writeTask(root: string, id: string, spec: TaskSpec = {}, folder = 'todo'): string {
  const title = spec.title ?? `Task number ${id}`;
  const lines = ['---', `title: ${title}`, 'status: To Do', `priority: ${spec.priority ?? 'medium'}`];
  if (spec.model) lines.push(`model: ${spec.model}`);
  lines.push(`description: ${spec.description ?? `Do thing ${id}`}`, 'acceptanceCriteria:', '  - It works');
  if (spec.dependencies) lines.push(`dependencies: [${spec.dependencies.join(', ')}]`);
  if (spec.extra) lines.push(spec.extra);
  lines.push('---', '', `# ${title}`, '');
  const file = path.join(root, 'backlog', folder, `task-${id} - ${title}.md`);
  writeFileSync(file, lines.join('\n'));
  return file;
}

export function folderContents(root: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of ['todo', 'doing', 'review', 'failed', 'completed']) {
    out[f] = readdirSync(path.join(root, 'backlog', f))
      .filter((n) => n.endsWith('.md'))
      .sort();
  }
  return out;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI as a subprocess. */
export function runCli(
  args: string[],
  opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
