import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { renderConfigDocs } from '../config/index.js';
import { classify } from '../errors/index.js';
import { auditExportCommand, auditVerifyCommand } from './audit-command.js';
import type { CliIo } from './context.js';
import { demoCommand } from './demo-command.js';
import { doctorCommand } from './doctor-command.js';
import { initCommand } from './init-command.js';
import { logsCommand } from './logs-command.js';
import { migrateCommand } from './migrate-command.js';
import { prCommand, statusCommand } from './ops-commands.js';
import { retryFailedCommand } from './retry-command.js';
import { startCommand } from './start.js';
import { bulkCreateCommand, createTaskCommand } from './task-commands.js';
import { createFromTemplateCommand } from './template-command.js';
import { workerCommand } from './worker-command.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

const collect = (value: string, prev: string[] = []) => [...prev, value];

/** Builds the command tree. `io` carries the environment: no global state is read elsewhere. */
export function buildProgram(io: CliIo, setCode: (n: number) => void): Command {
  const program = new Command('ticket-processor')
    .description('Turn Markdown tickets into reviewed pull requests written by local LLMs.')
    .version(version())
    .option('-c, --config <path>', 'config.json to use (default: ./config.json)')
    .showHelpAfterError()
    .exitOverride();
  const g = () => program.opts<{ config?: string }>();
  const run = (p: Promise<number>) => p.then(setCode);

  program
    .command('init [dir]')
    .description('write config.json with every default, the backlog folders and .env.example')
    .option('--force', 'overwrite existing files')
    .action((dir: string | undefined, o: { force?: boolean }) => run(initCommand(io, dir, o)));
  program
    .command('start')
    .description('watch the todo folder and process tasks')
    .option('--once', 'process what is queued, then exit (0 if all reached review/)')
    .option('--port <port>', 'HTTP port (default webhook.port)')
    .option('--no-server', 'do not start the HTTP server')
    .option(
      '--workers <n>',
      'BullMQ workers run in this process (queue.backend "bullmq"; default queue.workers)',
    )
    .action((o: object) => run(startCommand(io, { ...g(), ...o })));
  program
    .command('worker')
    .description(
      'run jobs of the BullMQ queues (queue.backend "bullmq") for the models served, until SIGTERM',
    )
    .option(
      '--models <list>',
      'comma-separated models served (default queue.worker.models, else the configured ones)',
    )
    .option(
      '--hosts <list>',
      'comma-separated Ollama base URLs to use (default queue.worker.hosts, else ollama.hosts)',
    )
    .option('--concurrency <n>', 'jobs at once per model queue (default queue.worker.concurrency)')
    .option('--name <name>', 'shown in status and results (default <hostname>-<slot>)')
    .action((o: object) => run(workerCommand(io, { ...g(), ...o })));
  program
    .command('create-task')
    .description('create a task (interactive without --title)')
    .option('-t, --title <title>')
    .option('-d, --description <text>')
    .option('-p, --priority <priority>', 'high, medium or low')
    .option('-l, --labels <list>', 'comma-separated')
    .option('-m, --model <model>', 'e.g. ollama/qwen2.5-coder')
    .option('--ac <criterion>', 'acceptance criterion (repeatable)', collect)
    .option('--depends-on <ids>', 'comma-separated task ids')
    .option('--estimated-hours <n>')
    .option('--repo <url>', 'target repository for this task')
    .option('--base-branch <branch>')
    .option('--draft', 'write to the backlog folder instead of todo/')
    .option('--from-template', 'same as create-from-template')
    .action((o: object) => run(createTaskCommand(io, { ...g(), ...o })));
  program
    .command('create-from-template [title]')
    .description('a task from backlog/task-template.md, opened in $VISUAL/$EDITOR on a terminal')
    .option('-t, --title <title>')
    .option('--edit', 'open the editor even when not on a terminal')
    .option('--no-edit', 'never open the editor')
    .option('--todo', 'put the task in the todo folder (default: a draft in the backlog folder)')
    .action((title: string | undefined, o: object) =>
      run(createFromTemplateCommand(io, title, { ...g(), ...o })),
    );
  program
    .command('bulk-create <file>')
    .description('create tasks from a JSON array (autoProcess: true → todo/)')
    .action((file: string) => run(bulkCreateCommand(io, file, g())));
  program
    .command('status')
    .description('tasks per folder, running tasks, open pull requests')
    .option('--json', 'machine-readable output')
    .action((o: { json?: boolean }) => run(statusCommand(io, { ...g(), ...o })));
  program
    .command('retry-failed')
    .description('requeue failed tasks whose failure is retryable')
    .option('--task-id <id>', 'only this task (also retries permanent failures)')
    .option('--max-age-days <days>', 'skip failures older than this')
    .option('--error-type <type>', 'transient, permanent, rejected or invalid')
    .option('--all', 'include permanent failures')
    .option('--dry-run', 'print what would be done')
    .action((o: object) => run(retryFailedCommand(io, { ...g(), ...o })));
  program
    .command('pr <action> [number]')
    .description('local forge pull requests: list, show <n>, merge <n>, close <n>')
    .action((action: string, num: string | undefined) => run(prCommand(io, action, num, g())));
  program
    .command('demo')
    .description('run sample tickets end to end in a temp directory (simulated model unless Ollama answers)')
    .option('--dir <dir>', 'where to create the demo (default: a new temp directory)')
    .option('--model <model>', 'model to use when OLLAMA_HOST answers (default qwen2.5-coder:7b)')
    .option('--simulate', 'use the simulated Ollama even when a real one answers')
    .action((o: { dir?: string; model?: string; simulate?: boolean }) => run(demoCommand(io, o)));
  program
    .command('migrate [dir]')
    .description(
      'read an original install (config.json, .env, folders, PM2 file) and list what differs here; writes nothing',
    )
    .option('--json', 'machine-readable output')
    .action((dir: string | undefined, o: { json?: boolean }) => run(migrateCommand(io, dir, o)));
  program
    .command('doctor')
    .description(
      'check node, git, sandbox, config, Ollama hosts and models, the forge, the port and disk space',
    )
    .option('--json', 'machine-readable output')
    .action((o: { json?: boolean }) => run(doctorCommand(io, { ...g(), ...o })));
  program
    .command('logs')
    .description('show the log files, pretty-printed; filter by task, level, component; --follow tails them')
    .option('--task <id>', 'only lines of this task')
    .option('--level <level>', 'minimum level: trace, debug, info, warn, error, fatal')
    .option('--component <name>', 'processor, watcher, git, server or error')
    .option('-f, --follow', 'keep printing new lines (also across a rotation) until Ctrl-C')
    .option('-n, --lines <n>', 'only the last n matching lines')
    .option('--json', 'print the JSON lines as written')
    .action((o: object) => run(logsCommand(io, { ...g(), ...o })));
  const audit = program
    .command('audit')
    .description('the tamper-evident audit log: verify the chain, export rows');
  audit
    .command('verify')
    .description('walk the hash chain; exit 1 naming the first edited, removed or inserted row')
    .action(() => run(auditVerifyCommand(io, g())));
  audit
    .command('export')
    .description('audit rows as JSON lines on stdout, with their hashes')
    .option('--since <when>', 'ISO date/time, or a duration back from now: 30m, 24h, 7d, 2w')
    .option('--task <id>', 'only rows of this task')
    .action((o: { since?: string; task?: string }) => run(auditExportCommand(io, { ...g(), ...o })));
  program
    .command('config')
    .description('print the configuration reference')
    .option('--docs', 'Markdown reference generated from the schema')
    .action(() => {
      io.out(renderConfigDocs());
      setCode(0);
    });
  return program;
}

/** Entry point; returns the exit code. */
export async function main(argv: string[], io?: Partial<CliIo>): Promise<number> {
  const full: CliIo = {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    env: process.env,
    cwd: process.cwd(),
    isTty: Boolean(process.stdout.isTTY && process.stdin.isTTY),
    ...io,
  };
  if (!io?.out) {
    // A reader that stops early (`audit export | head`) closes the pipe: the output ends, not an error.
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
  let code = 0;
  const program = buildProgram(full, (n) => {
    code = n;
  });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    const e = classify(err);
    full.err(`error: ${e.message}`);
    if (e.hint) full.err(`  → ${e.hint}`);
    if (e.code === 'INTERNAL' && err instanceof Error && err.stack) full.err(err.stack);
    return e.code === 'CONFIG_INVALID' ? 2 : 1;
  }
}
