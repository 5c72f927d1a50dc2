import path from 'node:path';
import { parseDiff } from '../review/index.js';

/*
 * Which files define the checks a change is judged by. A change that edits one of them may
 * have made its own checks pass (a test script set to `exit 0`, a CI job removed, a lockfile
 * pointing the test runner at other code), so passing checks are no evidence for it and it is
 * not auto-merged. The list is deliberately broad: a false positive costs a human review, a
 * false negative merges unreviewed code.
 */

/** File names (any folder, compared lower-case) that configure how checks run. */
const CHECK_FILE_NAMES = new Set([
  // npm & co.: scripts, and the lockfiles and rc files that decide which code those scripts run.
  'package.json',
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'pnpm-workspace.yaml',
  'bun.lock',
  'bun.lockb',
  '.npmrc',
  '.yarnrc',
  '.yarnrc.yml',
  '.pnpmfile.cjs',
  // Task runners.
  'makefile',
  'gnumakefile',
  'justfile',
  '.justfile',
  'taskfile.yml',
  // CI files outside the workflow folders below.
  '.gitlab-ci.yml',
  'jenkinsfile',
  '.drone.yml',
  '.woodpecker.yml',
  '.travis.yml',
  'azure-pipelines.yml',
  'bitbucket-pipelines.yml',
  // Test runner and tool configuration that can switch tests off.
  'pytest.ini',
  'tox.ini',
  'noxfile.py',
  'conftest.py',
  'setup.cfg',
  'pyproject.toml',
  'cargo.toml',
]);

/** Path patterns (relative to the repository root) of CI folders and test-runner configs. */
const CHECK_FILE_PATTERNS = [
  /^\.(?:github|gitea|forgejo)\/(?:workflows|actions)\//,
  /^\.(?:circleci|woodpecker|buildkite)\//,
  /^\.gitlab\/ci\//,
  /(?:^|\/)(?:vitest|vite|jest|playwright|karma|cypress|ava)\.(?:config|workspace)\.[cm]?[jt]s$/,
  /(?:^|\/)\.mocharc(?:\.[a-z]+)?$/,
  /(?:^|\/)\.cargo\/config(?:\.toml)?$/,
];

/** Commands whose first argument is a script they run. */
const INTERPRETERS = new Set([
  'sh',
  'bash',
  'zsh',
  'dash',
  'ksh',
  'node',
  'deno',
  'bun',
  'tsx',
  'ts-node',
  'python',
  'python3',
  'ruby',
  'perl',
  'php',
  'pwsh',
  'source',
  '.',
]);

/** Commands that run the next word as the command (`npx tsc`, `env X=1 node …`). */
const WRAPPERS = new Set(['npx', 'bunx', 'pnpx', 'env', 'exec', 'time', 'nice', 'command']);

/** Long options whose value names a configuration file or project. */
const FILE_OPTIONS = new Set([
  '--config',
  '--config-file',
  '--rcfile',
  '--project',
  '--makefile',
  '--justfile',
  '--file',
]);
/** Short options that name a file, per command. */
const SHORT_FILE_OPTIONS: Record<string, string> = { make: '-f', just: '-f', tsc: '-p' };

/** A repository-relative path, or undefined for what points outside it. */
function inRepo(p: string): string | undefined {
  const n = path.posix.normalize(p.replace(/^\.\//, ''));
  if (n === '.' || n === '' || n.startsWith('../') || n === '..' || path.posix.isAbsolute(n))
    return undefined;
  return n.replace(/\/+$/, '');
}

/**
 * Files a check command runs or reads its configuration from: a command given as a path
 * (`./scripts/check.sh`), the script after an interpreter (`bash scripts/check.sh`,
 * `node tools/lint.mjs`), and the value of a config option (`--config vitest.ci.ts`). Plain
 * arguments (`cat value.txt`, `test -f src/a.js`) are the data under test, not the check.
 */
export function filesNamedIn(command: string): string[] {
  const words = command
    .replace(/["'`\\]/g, ' ')
    .replace(/\$\(|&&|\|\||[;|&()<>]/g, ' ; ')
    .split(/\s+/)
    .filter(Boolean);
  const out: string[] = [];
  const add = (p: string) => {
    const n = inRepo(p);
    if (n) out.push(n);
  };
  let atStart = true;
  let cmd = '';
  let scriptNext = false;
  let fileNext = false;
  for (const w of words) {
    if (w === ';') {
      atStart = true;
      scriptNext = fileNext = false;
      continue;
    }
    if (atStart && /^[A-Za-z_]\w*=/.test(w)) continue;
    if (fileNext) {
      add(w);
      fileNext = false;
      continue;
    }
    if (w.startsWith('-')) {
      const [name, value] = w.split('=', 2) as [string, string | undefined];
      const fileOption = FILE_OPTIONS.has(name) || SHORT_FILE_OPTIONS[cmd] === name;
      if (fileOption && value !== undefined) add(value);
      else if (fileOption) fileNext = true;
      continue;
    }
    if (atStart || scriptNext) {
      if (w.includes('/') || scriptNext) add(w);
      cmd = path.posix.basename(w);
      atStart = WRAPPERS.has(cmd);
      scriptNext = INTERPRETERS.has(cmd);
    }
  }
  return [...new Set(out)];
}

/**
 * The changed files that define the checks: by name (package.json, lockfiles, Makefile, CI
 * config, test-runner config) or because a verify command runs them (`filesNamedIn`; a named
 * folder covers everything under it).
 */
export function checkDefiningFiles(changed: readonly string[], verifyCommands: readonly string[]): string[] {
  const named = verifyCommands.flatMap(filesNamedIn);
  return changed.filter(
    (f) =>
      CHECK_FILE_NAMES.has(path.posix.basename(f).toLowerCase()) ||
      CHECK_FILE_PATTERNS.some((re) => re.test(f)) ||
      named.some((n) => f === n || f.startsWith(`${n}/`)),
  );
}

/** Every path a unified diff touches (old and new names of renames and copies included). */
export function changedFiles(diff: string): string[] {
  return [...new Set(parseDiff(diff).flatMap((f) => f.paths))];
}
