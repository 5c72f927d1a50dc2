import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type GitLog, Workspace, type WorkspaceOptions } from '../../src/workspace/index.js';

/** A Workspace under `<root>/repos` with test defaults (one push attempt, no signing); `over` replaces fields. */
export function testWorkspace(root: string, over: Partial<WorkspaceOptions> = {}): Workspace {
  return new Workspace({
    reposDir: path.join(root, 'repos'),
    author: { name: 'A', email: 'a@b' },
    signCommits: false,
    pushRetries: 1,
    pushRetryDelayMs: 1,
    secrets: [],
    env: process.env,
    ...over,
  });
}

/** A `testWorkspace` that records every git call it makes (`calls`, `count('fetch')`). */
export function recordingWorkspace(root: string, over: Partial<WorkspaceOptions> = {}) {
  const calls: Parameters<GitLog>[0][] = [];
  const ws = testWorkspace(root, { ...over, log: (l) => calls.push(l) });
  const count = (sub: string) => calls.filter((c) => c.args[0] === sub).length;
  return { ws, calls, count };
}

const git = (args: string[], cwd: string) =>
  execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@t', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();

/**
 * A bare remote `<root>/remote.git` whose `main` has README.md and a `.gitignore` ignoring
 * `*.log` and `build/`; returns its path and a function that adds a commit to a branch there.
 */
export function bareRemote(root: string): {
  remote: string;
  advance: (branch: string, file: string) => string;
} {
  const remote = path.join(root, 'remote.git');
  const seed = path.join(root, 'seed');
  mkdirSync(seed, { recursive: true });
  git(['init', '--quiet', '--bare', '-b', 'main', remote], root);
  git(['init', '--quiet', '-b', 'main'], seed);
  writeFileSync(path.join(seed, 'README.md'), 'base\n');
  writeFileSync(path.join(seed, '.gitignore'), '*.log\nbuild/\n');
  git(['add', '-A'], seed);
  git(['commit', '--quiet', '-m', 'base'], seed);
  git(['push', '--quiet', remote, 'main'], seed);
  const advance = (branch: string, file: string) => {
    git(['fetch', '--quiet', remote, `+refs/heads/*:refs/remotes/r/*`], seed);
    const exists = git(['ls-remote', '--heads', remote, branch], seed) !== '';
    git(['checkout', '--quiet', '-f', '-B', branch, exists ? `r/${branch}` : 'r/main'], seed);
    writeFileSync(path.join(seed, file), `${file}\n`);
    git(['add', '-A'], seed);
    git(['commit', '--quiet', '-m', `add ${file}`], seed);
    git(['push', '--quiet', remote, `HEAD:refs/heads/${branch}`], seed);
    return git(['rev-parse', 'HEAD'], seed);
  };
  return { remote, advance };
}
