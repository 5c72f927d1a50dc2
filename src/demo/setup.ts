import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { serializeOriginalTask } from '../tasks/index.js';
import { git } from '../workspace/index.js';

const IDENTITY = {
  GIT_AUTHOR_NAME: 'Demo',
  GIT_AUTHOR_EMAIL: 'demo@localhost',
  GIT_COMMITTER_NAME: 'Demo',
  GIT_COMMITTER_EMAIL: 'demo@localhost',
};

/** A bare "remote" repository with a small project on `main`, as a team's real repository would be. */
export async function createDemoRemote(root: string): Promise<string> {
  const seed = path.join(root, 'seed');
  const remote = path.join(root, 'remote.git');
  await mkdir(path.join(seed, 'src'), { recursive: true });
  await writeFile(
    path.join(seed, 'README.md'),
    '# Demo project\n\nA tiny project that ticket-processor changes.\n',
  );
  await writeFile(path.join(seed, 'src', 'math.js'), 'export function add(a, b) {\n  return a + b;\n}\n');
  await writeFile(path.join(seed, 'package.json'), '{ "name": "demo-project", "type": "module" }\n');
  await git(['init', '--quiet', '-b', 'main'], { cwd: seed });
  await git(['add', '-A'], { cwd: seed });
  await git(['commit', '--quiet', '-m', 'Initial project'], { cwd: seed, env: IDENTITY });
  await git(['clone', '--quiet', '--bare', seed, remote], { cwd: root });
  return remote;
}

/** Sample tickets: two independent ones of different priority and one that depends on the first. */
export async function writeDemoTickets(todo: string): Promise<void> {
  const tickets = [
    {
      id: '1',
      title: 'Add a subtract function',
      priority: 'high' as const,
      description: 'src/math.js has add(); add subtract(a, b) beside it.',
      acceptanceCriteria: ['subtract(5, 3) returns 2', 'add() is unchanged'],
    },
    {
      id: '2',
      title: 'Document the math helpers',
      priority: 'low' as const,
      description: 'Add a usage section to README.md.',
      acceptanceCriteria: ['README shows an example for add()'],
    },
    {
      id: '3',
      title: 'Add a multiply function',
      priority: 'medium' as const,
      description: 'Builds on task 1: add multiply(a, b).',
      acceptanceCriteria: ['multiply(2, 3) returns 6'],
      dependencies: ['task-1'],
    },
  ];
  await mkdir(todo, { recursive: true });
  for (const t of tickets) {
    const { id, ...input } = t;
    await writeFile(
      path.join(todo, `task-${id} - ${t.title}.md`),
      serializeOriginalTask({ ...input, labels: ['demo'] }, id),
    );
  }
}
