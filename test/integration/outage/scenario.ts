import { type App, createApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/index.js';
import { type FakeOllama, type ResponderRequest, startFakeOllama } from '../../fixtures/fake-ollama/index.js';
import { folderContents, makeProject, writeTask } from '../../helpers/project.js';
import {
  byPath,
  callsPerWindow,
  inside,
  type PhaseStats,
  phaseStats,
  type RequestRecord,
  type TaskTiming,
  type Transition,
  type Window,
  windowsOf,
} from './measure.js';

const MODEL = 'qwen2.5-coder:7b';

export interface OutageScenario {
  tasks: number;
  concurrency: number;
  /**
   * The host goes down once this many tasks are in review, at the moment the next chat request
   * is being answered, so an agent run is cut off mid-conversation.
   */
  downAfterPublished: number;
  downForMs: number;
  /** Fake model latency: each chat answer is delayed this long before it streams. */
  chatLatencyMs: number;
  healthCheck: {
    interval: number;
    timeout: number;
    failureThreshold: number;
    successThreshold: number;
    halfOpenRequests: number;
    cooldownMs: number;
    maxWaitMs: number;
  };
  retry: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };
  /** The whole run is abandoned (and reported as an error) after this long. */
  deadlineMs: number;
  /** Called with the app before the worker starts (extra listeners for diagnostics). */
  onApp?: (app: App) => void;
}

export interface OutageReport {
  tasks: number;
  inReview: number;
  failed: number;
  /** Failed tasks' codes and messages, for the notes. */
  failures: string[];
  opened: number;
  halfOpened: number;
  closed: number;
  finalState: Transition['to'];
  outageMs: number;
  /** Host back → breaker CLOSED / first task in review / first chat answered (ms). */
  recovery: { closedMs: number; publishedMs: number; firstChatMs: number };
  /** Requests the fake received while the breaker was OPEN. */
  reachedWhileOpen: RequestRecord[];
  /** Requests the client sent while the breaker was OPEN (refused ones included). */
  sentWhileOpen: RequestRecord[];
  /** Requests the client sent while HALF_OPEN (the probes). */
  sentWhileHalfOpen: RequestRecord[];
  /** Requests sent while the host was down, whatever the breaker state. */
  sentWhileDown: RequestRecord[];
  /** Probe calls the breaker allows over the run: halfOpenRequests per HALF_OPEN period. */
  probesAllowed: number;
  /** Calls (permits) begun in each HALF_OPEN period that ended with the breaker OPEN again. */
  probesInFailedHalfOpen: number[];
  /** Calls begun in HALF_OPEN periods that ended CLOSED (they need `successThreshold` successes). */
  probesInClosingHalfOpen: number[];
  failedAttempts: number;
  retries: number;
  waits: number;
  phases: Record<'before' | 'during' | 'after', PhaseStats>;
  wallMs: number;
  /** Raw data, times in ms since the run started. */
  timeline: { outage: Window; transitions: Transition[]; tasks: TaskTiming[]; sent: RequestRecord[] };
  summary: {
    sentWhileOpen: string;
    sentWhileHalfOpen: string;
    sentWhileDown: string;
    reachedWhileOpen: string;
  };
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The scripted "model": first turn writes a file named after the task, the turn after the tool
 * result calls `finish`. The task id comes from the ticket header the agent sends.
 */
function responder(latencyMs: number, onChat: () => void) {
  return async (req: ResponderRequest) => {
    onChat();
    await delay(latencyMs);
    if (req.messages.some((m) => m.role === 'tool')) {
      return { toolCalls: [{ name: 'finish', arguments: { summary: 'Wrote the outage marker file.' } }] };
    }
    const id = /\(task (\w+)\)/.exec(req.messages.find((m) => m.role === 'user')?.content ?? '')?.[1] ?? 'x';
    return {
      toolCalls: [
        { name: 'write_file', arguments: { path: `outage/task-${id}.txt`, content: `done ${id}\n` } },
      ],
    };
  };
}

/**
 * Counts every HTTP request to `origin` as the client sends it, refused ones included. The fake
 * cannot see requests while it is down, and the Ollama clients in the pipeline all use the global
 * `fetch` (captured when they are built), so wrapping it is the one place that sees them all.
 * It only observes: requests and responses pass through unchanged.
 */
function observeFetch(origin: string, sink: RequestRecord[]): () => void {
  const original = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith(origin)) return original(input, init);
    const rec: RequestRecord = { at: performance.now(), path: new URL(url).pathname };
    sink.push(rec);
    try {
      return await original(input, init);
    } catch (err) {
      rec.failed = true;
      throw err;
    }
  };
  return () => {
    globalThis.fetch = original;
  };
}

/**
 * The fixture records requests without times; stamping each as it is recorded gives arrival
 * times without changing the fixture.
 */
function stampArrivals(fake: FakeOllama, sink: RequestRecord[]): void {
  const push = fake.requests.push.bind(fake.requests);
  fake.requests.push = (...items) => {
    for (const r of items) sink.push({ at: performance.now(), path: r.path });
    return push(...items);
  };
}

/**
 * Runs `s.tasks` tickets through the real pipeline (createApp, built-in agent, model router,
 * real git) against a fake Ollama that goes down for `s.downForMs` once `s.downAfterPublished`
 * tasks are in review, and measures what the breaker let through.
 */
export async function runOutageScenario(s: OutageScenario): Promise<OutageReport> {
  const fake = await startFakeOllama({
    models: [{ name: MODEL, contextLength: 32768, capabilities: ['completion', 'tools'] }],
  });
  let chatWaiter: (() => void) | undefined;
  const nextChat = () => new Promise<void>((resolve) => (chatWaiter = resolve));
  fake.setResponder(
    responder(s.chatLatencyMs, () => {
      chatWaiter?.();
      chatWaiter = undefined;
    }),
  );
  const arrived: RequestRecord[] = [];
  const sent: RequestRecord[] = [];
  stampArrivals(fake, arrived);
  const { root } = await makeProject({
    processing: { concurrency: s.concurrency },
    agent: { type: 'builtin', allowCommands: [] },
    ollama: {
      host: fake.url,
      defaultModel: MODEL,
      availableModels: [MODEL],
      fallbackModels: [],
      healthCheck: { enabled: true, endpoint: '/api/version', ...s.healthCheck },
    },
    retry: s.retry,
    logging: { level: 'info', format: 'json' },
  });
  for (let i = 1; i <= s.tasks; i++) writeTask(root, String(i), { title: `Outage task ${i}` });

  const transitions: Transition[] = [];
  const counters = { retries: 0, waits: 0, failedAttempts: 0 };
  // The router's events reach the composition root's logger only; the log sink is the hook.
  const logSink = {
    write(line: string) {
      const at = performance.now();
      let message: unknown;
      try {
        message = (JSON.parse(line) as { message?: unknown }).message;
      } catch {
        return;
      }
      if (message === 'breaker.opened') transitions.push({ at, to: 'OPEN' });
      else if (message === 'breaker.half_open') transitions.push({ at, to: 'HALF_OPEN' });
      else if (message === 'breaker.closed') transitions.push({ at, to: 'CLOSED' });
      else if (message === 'model.retry') counters.retries++;
      else if (message === 'model.waiting') counters.waits++;
    },
  };

  const restoreFetch = observeFetch(fake.url, sent);
  let app: App | undefined;
  const started = performance.now();
  const outage: Window = { from: Number.POSITIVE_INFINITY, to: Number.POSITIVE_INFINITY };
  const claimed = new Map<string, number>();
  const timings: TaskTiming[] = [];
  const failures: string[] = [];
  let deadline: NodeJS.Timeout | undefined;
  try {
    app = await createApp(loadConfig({ cwd: root, env: {} }), { logSink });
    const { events, worker } = app;
    events.on('task.claimed', (e) => claimed.set(e.taskId, performance.now()));
    events.on('task.published', (e) => {
      const at = performance.now();
      timings.push({
        taskId: e.taskId,
        claimedAt: claimed.get(e.taskId) ?? at - e.elapsedMs,
        publishedAt: at,
      });
    });
    events.on('task.failed', (e) => failures.push(`task ${e.taskId}: ${e.code} ${e.error}`));
    events.on('attempt.failed', () => counters.failedAttempts++);

    const outageDone = (async () => {
      if (s.downAfterPublished > 0) {
        await events.waitFor('task.published', () => timings.length >= s.downAfterPublished);
      }
      await nextChat();
      outage.from = performance.now();
      await fake.setDown(true);
      await delay(s.downForMs);
      await fake.setDown(false);
      outage.to = performance.now();
    })();
    s.onApp?.(app);
    app.router?.start();
    await worker.start({ watch: false });
    await Promise.race([
      Promise.all([outageDone, worker.idle()]),
      new Promise((_, reject) => {
        deadline = setTimeout(
          () => reject(new Error(`outage scenario did not finish within ${s.deadlineMs} ms`)),
          s.deadlineMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(deadline);
    await app?.close();
    restoreFetch();
    await fake.close();
  }
  const end = performance.now();
  const rel = (t: number) => Math.round(t - started);
  const open = windowsOf(transitions, 'OPEN', end);
  const halfOpen = windowsOf(transitions, 'HALF_OPEN', end);
  const afterUp = <T extends { at: number }>(xs: T[]) => xs.filter((x) => x.at >= outage.to);
  const firstAfter = (xs: number[]) => Math.round(Math.min(...xs.filter((x) => x >= outage.to)) - outage.to);
  const folders = folderContents(root);
  const reachedWhileOpen = inside(arrived, open);
  const sentWhileOpen = inside(sent, open);
  const sentWhileHalfOpen = inside(sent, halfOpen);
  const sentWhileDown = inside(sent, [outage]);
  return {
    tasks: s.tasks,
    inReview: folders.review?.length ?? 0,
    failed: folders.failed?.length ?? 0,
    failures,
    opened: transitions.filter((t) => t.to === 'OPEN').length,
    halfOpened: transitions.filter((t) => t.to === 'HALF_OPEN').length,
    closed: transitions.filter((t) => t.to === 'CLOSED').length,
    finalState: transitions.at(-1)?.to ?? 'CLOSED',
    outageMs: Math.round(outage.to - outage.from),
    recovery: {
      closedMs: firstAfter(transitions.filter((t) => t.to === 'CLOSED').map((t) => t.at)),
      publishedMs: firstAfter(timings.map((t) => t.publishedAt)),
      firstChatMs: firstAfter(afterUp(arrived.filter((r) => r.path === '/api/chat')).map((r) => r.at)),
    },
    reachedWhileOpen,
    sentWhileOpen,
    sentWhileHalfOpen,
    sentWhileDown,
    probesAllowed: s.healthCheck.halfOpenRequests * halfOpen.length,
    probesInFailedHalfOpen: callsPerWindow(
      sent,
      halfOpen.filter((w) => w.next === 'OPEN'),
    ),
    probesInClosingHalfOpen: callsPerWindow(
      sent,
      halfOpen.filter((w) => w.next === 'CLOSED'),
    ),
    ...counters,
    phases: phaseStats(timings, outage),
    wallMs: Math.round(end - started),
    timeline: {
      outage: { from: rel(outage.from), to: rel(outage.to) },
      transitions: transitions.map((t) => ({ ...t, at: rel(t.at) })),
      tasks: timings.map((t) => ({ ...t, claimedAt: rel(t.claimedAt), publishedAt: rel(t.publishedAt) })),
      sent: sent.map((r) => ({ ...r, at: rel(r.at) })),
    },
    summary: {
      sentWhileOpen: byPath(sentWhileOpen),
      sentWhileHalfOpen: byPath(sentWhileHalfOpen),
      sentWhileDown: byPath(sentWhileDown),
      reachedWhileOpen: byPath(reachedWhileOpen),
    },
  };
}
