import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { defaultConfig } from '../config/index.js';
import { serializeOriginalTask } from '../tasks/index.js';
import type { CliIo } from './context.js';

const ENV_EXAMPLE = `# ticket-processor environment (copy to .env; never commit .env)
# Ollama endpoint
OLLAMA_HOST=http://127.0.0.1:11434
# Gitea / Forgejo (forge.type "gitea")
GITEA_URL=http://localhost:3000
GITEA_TOKEN=
GITEA_WEBHOOK_SECRET=change-me-to-a-long-random-string
GITEA_ORG=ticket-processor
# Commit author
GIT_USER_NAME=Ticket Processor
GIT_USER_EMAIL=processor@localhost
`;

/** `init [dir]`: config.json with every default, the backlog folders, .env.example and a task template. */
export async function initCommand(
  io: CliIo,
  dir: string | undefined,
  opts: { force?: boolean },
): Promise<number> {
  const root = path.resolve(io.cwd, dir ?? '.');
  await mkdir(root, { recursive: true });
  const config = defaultConfig() as { folders: Record<string, string> };
  const write = async (name: string, content: string) => {
    const file = path.join(root, name);
    if (existsSync(file) && !opts.force) {
      io.out(`  kept     ${name} (exists; --force overwrites)`);
      return;
    }
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
    io.out(`  created  ${name}`);
  };
  await write('config.json', `${JSON.stringify(config, null, 2)}\n`);
  await write('.env.example', ENV_EXAMPLE);
  for (const folder of Object.values(config.folders)) {
    await mkdir(path.join(root, folder), { recursive: true });
    io.out(`  folder   ${folder}/`);
  }
  await write(
    path.join(path.dirname(config.folders.todo ?? 'backlog/todo'), 'task-template.md'),
    serializeOriginalTask(
      {
        title: 'Describe the change in one line',
        description: 'What should change, where, and why.',
        priority: 'medium',
        labels: ['backend'],
        acceptanceCriteria: ['An observable result a reviewer can check'],
        body: '# Notes\n\nFiles, functions, examples, links.\n',
      },
      '0',
    ),
  );
  io.out(
    `\nReady. Next: set repository.url in ${path.join(root, 'config.json')} (or run inside your repository),`,
  );
  io.out('then `ticket-processor create-task` and `ticket-processor start`.');
  return 0;
}
