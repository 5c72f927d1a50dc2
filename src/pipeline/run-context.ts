import path from 'node:path';
import type { AgentResult } from '../agents/types.js';
import type { PipelineStage } from '../events/index.js';
import type { PushAuth } from '../forges/types.js';
import type { FailureAttempt } from '../intake/types.js';
import type { ReviewOutcome } from '../review/index.js';
import type { Task } from '../tasks/types.js';
import type { PreparedWorktree } from '../workspace/index.js';
import type { PrRequest } from './stages/pull-request.js';
import type { PipelineDeps } from './types.js';
import type { VerifyResult } from './verify.js';

/** What started a run: a new task, a retried one, or a reviewer's comment on the task's PR. */
export type RunKind = 'task' | 'retry' | 'follow-up';

/** The reviewer's comment a follow-up run answers. */
export interface FollowUpComment {
  prNumber: number;
  author: string;
  /** The comment text after the mention. */
  text: string;
}

/**
 * Everything one run knows, passed through the stage functions in order. Stages read what
 * earlier stages left here and add their own result; no stage keeps state elsewhere, so a task
 * run and a follow-up run are the same stages composed differently.
 */
export interface RunContext {
  readonly deps: PipelineDeps;
  readonly kind: RunKind;
  readonly task: Task;
  /** The task file (folder or Backlog.md). */
  readonly file: string;
  readonly signal: AbortSignal;
  /** Epoch ms when the run started (elapsed times in events and the PR body). */
  readonly started: number;
  /**
   * Epoch ms the task was admitted: its base may come from a fetch that started then or later
   * (shared with the tasks admitted with it). Unset: a fetch that starts after this run did.
   */
  readonly freshSince?: number | undefined;
  /**
   * Called once the agent, its checks and the review are done and only the commit and its
   * publishing are left (push, PR): the run no longer needs its concurrency slot. Unset: the
   * slot is held to the end.
   */
  readonly releaseSlot?: (() => void) | undefined;
  /** Set for follow-up runs only. */
  readonly followUp: FollowUpComment | undefined;
  /** The branch the run writes: the task branch, or the PR branch of a follow-up. */
  branch: string;
  /** Target repository, resolved against `repository.allowed` (see target.ts). */
  remote: string;
  /** Forge credentials: set only when `remote` is the forge's own origin. */
  auth: PushAuth | undefined;
  baseBranch: string;
  wt: PreparedWorktree | undefined;
  /** Content of the worktree's `.git` file right after it was made (the guard compares). */
  gitLink: string | undefined;
  /** An agent or check replaced the worktree's `.git`: the run must fail, and no git runs on it first. */
  gitLinkReplaced: boolean;
  model: string | undefined;
  /** Why the model chain is what it is, in one line (model selection); shown in the log and the PR body. */
  selectionReason: string | undefined;
  host: string | undefined;
  attemptNumber: number;
  /** Failed attempts before the one that produced the change. */
  attempts: FailureAttempt[];
  agentResult: AgentResult | undefined;
  /** The staged diff: what the commit will contain. */
  diff: string;
  /** Results of `verify.commands`; undefined when none are configured or none ran. */
  verify: VerifyResult[] | undefined;
  /** The code review's last round (review stage); undefined when it did not run. */
  review: ReviewOutcome | undefined;
  commitSha: string | undefined;
  pr: { number: number; url: string } | undefined;
  /** The PR to open, when the coordinator opens it (`deps.deferPullRequests`). */
  prRequest: PrRequest | undefined;
  /** Milliseconds spent in each stage so far, the current one included (benches, run results). */
  stageTimes(): Partial<Record<PipelineStage, number>>;
  /** Why the PR was not auto-merged (PR body, log); empty when it may be. */
  autoMergeBlockers: string[];
  /** Current pipeline stage (events, store, failure report). */
  stage: PipelineStage;
  /** Finer name of the current step within a stage, for messages ("secret scan"). */
  step: string;
  /** Moves to `stage` (event + store) and names the step. Re-entering the same stage only renames the step. */
  enter(stage: PipelineStage, step?: string): void;
}

export interface RunInit {
  kind: RunKind;
  task: Task;
  file: string;
  branch: string;
  signal: AbortSignal;
  followUp?: FollowUpComment;
  /** See `RunContext.freshSince`. */
  freshSince?: number | undefined;
  /** See `RunContext.releaseSlot`. */
  releaseSlot?: (() => void) | undefined;
}

/** A fresh context. Task runs record each stage in the store; a follow-up (its task in review) only emits events. */
export function createRunContext(deps: PipelineDeps, init: RunInit): RunContext {
  const started = Date.now();
  const base = { taskId: init.task.id, file: path.basename(init.file) };
  let entered = false;
  let stageStarted = started;
  const stageMs: Partial<Record<PipelineStage, number>> = {};
  const ctx: RunContext = {
    deps,
    kind: init.kind,
    task: init.task,
    file: init.file,
    signal: init.signal,
    started,
    freshSince: init.freshSince,
    releaseSlot: init.releaseSlot,
    followUp: init.followUp,
    branch: init.branch,
    remote: '',
    auth: undefined,
    baseBranch: init.task.baseBranch ?? deps.config.repository.baseBranch,
    wt: undefined,
    gitLink: undefined,
    gitLinkReplaced: false,
    model: undefined,
    selectionReason: undefined,
    host: undefined,
    attemptNumber: 0,
    attempts: [],
    agentResult: undefined,
    diff: '',
    verify: undefined,
    review: undefined,
    commitSha: undefined,
    pr: undefined,
    prRequest: undefined,
    stageTimes() {
      if (!entered) return { ...stageMs };
      return { ...stageMs, [ctx.stage]: (stageMs[ctx.stage] ?? 0) + (Date.now() - stageStarted) };
    },
    autoMergeBlockers: [],
    stage: 'workspace',
    step: 'workspace',
    enter(stage, step = stage) {
      ctx.step = step;
      if (entered && stage === ctx.stage) return;
      const now = Date.now();
      if (entered) stageMs[ctx.stage] = (stageMs[ctx.stage] ?? 0) + (now - stageStarted);
      stageStarted = now;
      entered = true;
      ctx.stage = stage;
      if (ctx.kind !== 'follow-up') deps.store.upsertRun({ taskId: init.task.id, stage });
      deps.events.emit('task.stage', { ...base, stage, elapsedMs: Date.now() - started });
    },
  };
  return ctx;
}

/** One step of a run. */
export type Stage = (ctx: RunContext) => Promise<void>;

/** Runs `stages` in order; the first error ends the run (the caller reports it). */
export async function runStages(ctx: RunContext, stages: readonly Stage[]): Promise<void> {
  for (const stage of stages) await stage(ctx);
}
