import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RepoIndex, Sandbox } from '../../../src/agents/builtin/index.js';
import type { ToolContext } from '../../../src/agents/builtin/tools/index.js';

/** A fresh temp directory with a `repo/` worktree inside and room for "outside" files next to it. */
export async function tempTree(): Promise<{ base: string; repo: string; cleanup: () => Promise<void> }> {
  const base = await mkdtemp(path.join(tmpdir(), 'tp-builtin-'));
  const repo = path.join(base, 'repo');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(repo);
  return { base, repo, cleanup: () => rm(base, { recursive: true, force: true }) };
}

/** A tool context over `repo` with no commands allowed and small limits; `over` replaces fields. */
export function toolContext(repo: string, over: Partial<ToolContext> = {}): ToolContext {
  return {
    sandbox: new Sandbox(repo),
    index: new RepoIndex(repo),
    allowRules: [],
    allowList: [],
    commandTimeoutMs: 1_000,
    env: {},
    signal: new AbortController().signal,
    maxResultChars: 4_000,
    changed: new Set(),
    ...over,
  };
}

/** Every file under `dir` (relative path → content): what an all-or-nothing check compares. */
export async function snapshot(dir: string, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(out, await snapshot(dir, rel));
    else out[rel] = await readFile(path.join(dir, rel), 'utf8');
  }
  return out;
}
