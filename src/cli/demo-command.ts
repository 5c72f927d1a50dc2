import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../app.js';
import { loadConfig } from '../config/index.js';
import { createDemoRemote, writeDemoTickets } from '../demo/setup.js';
import { SimulatedAgent } from '../demo/simulated-agent.js';
import { completeTask } from '../pipeline/completion.js';
import { git } from '../workspace/index.js';
import type { CliIo } from './context.js';
import { attachProgress } from './progress.js';
import { table } from './table.js';

/**
 * `demo`: a complete run in a temp directory: a bare "remote" with a small project, three
 * tickets (one depending on another), the pipeline, a merge, and a summary of where
 * everything went. The model is a labelled simulation.
 */
export async function demoCommand(io: CliIo, opts: { dir?: string }): Promise<number> {
  const root = opts.dir
    ? path.resolve(io.cwd, opts.dir)
    : await mkdtemp(path.join(os.tmpdir(), 'ticket-processor-demo-'));
  io.out(`Demo directory: ${root}`);
  io.out(
    'MODEL: SIMULATION — changes are written by a scripted stand-in, not an LLM. Configure OLLAMA_HOST and agent.type for real runs.\n',
  );
  const remote = await createDemoRemote(root);
  await writeFile(
    path.join(root, 'config.json'),
    `${JSON.stringify({ repository: { url: 'remote.git', baseBranch: 'main' }, webhook: { enabled: false }, processing: { concurrency: 2 } }, null, 2)}\n`,
  );
  const loaded = loadConfig({ cwd: root, env: {} });
  await writeDemoTickets(path.resolve(root, loaded.config.folders.todo));
  const app = await createApp(loaded, { agent: new SimulatedAgent() });
  const detach = attachProgress(app.events, io);
  try {
    await app.worker.start({ watch: false });
    await app.worker.idle();
    io.out('\nA reviewer merges PR #1 (task 1); task 3 was waiting for it:');
    const pr1 = app.store.listPullRequests().find((p) => p.taskId === '1');
    if (pr1) {
      await app.forge.merge(pr1.number);
      await completeTask({ ...app, worker: app.worker }, '1', { prNumber: pr1.number, via: 'cli' });
      await app.worker.idle();
    }
    const prs = app.store.listPullRequests();
    io.out(`\nPull requests (local forge, stored in ${path.join(root, loaded.config.store.path)}):`);
    io.out(
      table([
        ['#', 'STATE', 'BRANCH', 'TITLE'],
        ...prs.map((p) => [String(p.number), p.state, p.head, p.title]),
      ]),
    );
    io.out(`\nBranches in ${remote}:`);
    io.out(
      await git(['branch', '--list', '--format=%(refname:short) %(objectname:short) %(subject)'], {
        cwd: remote,
      }),
    );
    const counts = await app.source.counts();
    io.out(
      `\nFolders: ${Object.entries(counts)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );
    io.out(
      `\nLook around:\n  cd ${root}\n  npx ticket-processor pr list --config ${path.join(root, 'config.json')}\n  git --git-dir ${remote} log --oneline --graph --all`,
    );
    return counts.failed === 0 ? 0 : 1;
  } finally {
    detach();
    await app.close();
  }
}
