import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../app.js';
import { loadConfig } from '../config/index.js';
import { createDemoRemote, writeDemoTickets } from '../demo/setup.js';
import { SIMULATED_MODEL, startSimulatedOllama } from '../demo/simulated-ollama.js';
import { completeTask } from '../pipeline/completion.js';
import { git } from '../workspace/index.js';
import type { CliIo } from './context.js';
import { attachProgress, useColour } from './progress.js';
import { table } from './table.js';

/**
 * `demo`: a complete run in a temp directory: a bare "remote" with a small project, three
 * tickets (one depending on another), the pipeline, a merge, and a summary of where
 * everything went. The model is the user's Ollama when it answers, else a labelled simulation.
 */
export async function demoCommand(
  io: CliIo,
  opts: { dir?: string; model?: string; simulate?: boolean },
): Promise<number> {
  const root = opts.dir
    ? path.resolve(io.cwd, opts.dir)
    : await mkdtemp(path.join(os.tmpdir(), 'ticket-processor-demo-'));
  io.out(`Demo directory: ${root}`);
  const realHost = opts.simulate ? undefined : await reachableOllama(io.env.OLLAMA_HOST);
  const simulated = realHost ? undefined : await startSimulatedOllama();
  const host = realHost ?? simulated!.url;
  const model = realHost ? (opts.model ?? 'qwen2.5-coder:7b') : SIMULATED_MODEL;
  io.out(
    realHost
      ? `MODEL: ${model} on your Ollama at ${realHost} (built-in agent).\n`
      : `MODEL: SIMULATION: a scripted stand-in for Ollama at ${host} answers the built-in agent\n` +
          "       (Ollama's protocol, but it only knows these demo tickets). Set OLLAMA_HOST for a real model.\n",
  );
  const remote = await createDemoRemote(root);
  const config = {
    repository: { url: 'remote.git', baseBranch: 'main' },
    webhook: { enabled: false },
    agent: { type: 'builtin' },
    ollama: { host, defaultModel: `ollama/${model}`, availableModels: [`ollama/${model}`] },
  };
  await writeFile(path.join(root, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  const loaded = loadConfig({ cwd: root, env: {} });
  await writeDemoTickets(path.resolve(root, loaded.config.folders.todo));
  const app = await createApp(loaded);
  const detach = attachProgress(app.events, io, { colour: useColour(loaded.config.logging.colorize, io) });
  try {
    await app.worker.start({ watch: false });
    await app.worker.idle();
    io.out('\nA reviewer merges PR #1 (task 1); task 3 was waiting for it:');
    const pr1 = app.store.listPullRequests().find((p) => p.taskId === '1');
    if (pr1) {
      await app.forge.merge(pr1.number);
      await completeTask(app.completion, '1', { prNumber: pr1.number, via: 'cli' });
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
    await simulated?.close();
  }
}

/** The user's Ollama when OLLAMA_HOST is set and answers /api/version within a second. */
async function reachableOllama(host: string | undefined): Promise<string | undefined> {
  if (!host) return undefined;
  const url = /^https?:\/\//.test(host) ? host : `http://${host}`;
  try {
    const res = await fetch(new URL('/api/version', url), { signal: AbortSignal.timeout(1000) });
    return res.ok ? url : undefined;
  } catch {
    return undefined;
  }
}
