import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, makeProject } from '../test/helpers/project.js';
import { type BenchResult, round, summary } from './lib.js';
import {
  dropTasks,
  fakeNpxDir,
  originalBurst,
  pollArrivals,
  prepareOriginal,
  stopChild,
  waitForLine,
} from './peers.js';
import { buildDist } from './support.js';

const TASKS = Number(process.env.BENCH_TASKS ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,4').split(',').map(Number);
/** The instant agent: one file written by a shell, like the original's fake `npx`. */
const AGENT = 'echo "change $TP_TASK_ID" > "file-$TP_TASK_ID.txt"';

interface OurRound {
  ms: number;
  /** Per task: [event, performance.now()] in arrival order, from the CLI's progress lines. */
  timeline: Map<string, Array<[string, number]>>;
  gitPerTask: number;
  sandbox: string;
}

function gitLines(root: string): number {
  const file = path.join(root, 'logs', 'git.log');
  if (!existsSync(file)) return 0;
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"component":"git"')).length;
}

/**
 * One burst through ours: the real CLI (`node bin/ticket-processor.js start`) in a temp project
 * with a local forge, a bare remote (real git) and the memory queue backend.
 */
async function ourBurst(concurrency: number): Promise<OurRound> {
  const { root } = await makeProject({
    agent: { type: 'command', command: AGENT },
    processing: { concurrency },
    logging: { colorize: false },
  });
  const child = spawn(process.execPath, [BIN, 'start', '--no-server'], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const timeline = new Map<string, Array<[string, number]>>();
  let pending = '';
  child.stdout?.on('data', (d: Buffer) => {
    const now = performance.now();
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const m = /^task (\S+): (\S+)/.exec(line);
      if (!m) continue;
      const event = line.includes('→ review/') ? 'published' : m[2]!;
      const list = timeline.get(m[1]!) ?? [];
      list.push([event, now]);
      timeline.set(m[1]!, list);
    }
  });
  try {
    await waitForLine(child, /Watching /).catch((err: Error) => {
      throw new Error(`${err.message}\n${stderr.slice(-1500)}`);
    });
    await new Promise((r) => setTimeout(r, 1_000));
    const before = gitLines(root);
    const drop = dropTasks(root, TASKS);
    const last = await pollArrivals(path.join(root, 'backlog', 'review'), TASKS);
    await stopChild(child);
    const sandbox = /sandbox\.mode is "none"/.test(stderr) ? 'none' : 'bwrap';
    return { ms: last - drop, timeline, gitPerTask: (gitLines(root) - before) / TASKS, sandbox };
  } finally {
    await stopChild(child);
    rmSync(root, { recursive: true, force: true });
  }
}

const median = (v: number[]) => summary(v).p50;
const tps = (ms: number) => round((TASKS * 1000) / ms, 2);

/** Stage durations: from a task's progress line to its next one (the last closes at → review/). */
function stageDurations(rounds: OurRound[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  const add = (k: string, v: number) => {
    const list = out[k] ?? [];
    list.push(v);
    out[k] = list;
  };
  for (const r of rounds)
    for (const events of r.timeline.values()) {
      for (let i = 0; i + 1 < events.length; i++) {
        const [name, at] = events[i]!;
        if (name === 'queued' || name === 'published') continue;
        add(name === 'claimed' ? 'claim→workspace' : name, events[i + 1]![1] - at);
      }
      const claimed = events.find(([n]) => n === 'claimed');
      const published = events.find(([n]) => n === 'published');
      if (claimed && published) add('claim→published (total)', published[1] - claimed[1]);
    }
  return out;
}

/**
 * Burst of 20 task files dropped at once, instant agent, concurrency 1 and 4: ours (real CLI)
 * against the original tool (its watcher, fake npx, createPR false: no git), alternating rounds.
 */
export default async function run(): Promise<BenchResult> {
  buildDist();
  const original = prepareOriginal();
  const npx = fakeNpxDir();
  const rows: BenchResult['rows'] = [];
  const notes: string[] = [];
  const stageRows: BenchResult['rows'] = [];
  for (const c of CONCURRENCY) {
    const ours: OurRound[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      // dist/ is shared with helpers whose test runs recompile it: a round whose CLI could not start is run again once.
      ours.push(await ourBurst(c).catch(() => ourBurst(c)));
      if (original.ok) theirs.push(await originalBurst(original.dir, c, TASKS, npx));
    }
    const oursMs = median(ours.map((r) => r.ms));
    rows.push({
      measure: 'ours: tasks/s (CLI, memory backend, local forge, real git)',
      c,
      rounds: ours.map((r) => tps(r.ms)).join(', '),
      median: tps(oursMs),
    });
    rows.push({
      measure: 'ours: git processes per task',
      c,
      rounds: ours.map((r) => round(r.gitPerTask, 1)).join(', '),
      median: round(median(ours.map((r) => r.gitPerTask)), 1),
    });
    if (original.ok) {
      const theirMs = median(theirs);
      rows.push({
        measure: 'original: tasks/s (watcher.js, fake npx, no git)',
        c,
        rounds: theirs.map(tps).join(', '),
        median: tps(theirMs),
      });
      rows.push({ measure: 'ratio ours / original (tasks/s)', c, median: `${round(theirMs / oursMs, 2)}×` });
    } else rows.push({ measure: 'original: tasks/s', c, rounds: original.reason, median: '-' });
    for (const [stage, values] of Object.entries(stageDurations(ours))) {
      const s = summary(values);
      stageRows.push({
        measure: `ours: stage ${stage} (ms)`,
        c,
        rounds: `n=${s.n}`,
        median: s.p50,
        p95: s.p95,
      });
    }
    notes.push(`c=${c}: sandbox mode of ours: ${ours[0]?.sandbox}.`);
  }
  rmSync(npx, { recursive: true, force: true });
  notes.push(
    `tasks/s = ${TASKS} / (last arrival in review/ − drop); review/ polled every 10 ms; ${ROUNDS} rounds each, ours and the original alternating; medians.`,
    'Stage rows: time from a task\'s progress line (stdout of the CLI, stamped on arrival) to its next one; "claim→workspace" is the claim to the first stage.',
    'git processes/task: git.log lines written between the drop and the end of the process, divided by the tasks (server-side upload-pack/receive-pack not counted).',
    'Target: ours ≥ 1.5× the original at concurrency 4.',
    `Machine: ${os.cpus().length} cores, load average at the end ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (1, 5 and 15 min).`,
  );
  return {
    name: `Burst of ${TASKS} tasks dropped at once, instant agent`,
    rows: [...rows, ...stageRows],
    notes,
  };
}
