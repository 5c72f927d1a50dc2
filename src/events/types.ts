import type { ErrorCode } from '../errors/index.js';

/** Payloads of the typed lifecycle events. Logs, metrics, the dashboard and notifications all listen here. */
export interface TaskEventBase {
  taskId: string;
  /** File name of the task (original format) or Backlog.md file name. */
  file?: string;
}

/**
 * Every event of the app, by name. Each entry says who emits it; `attachEventLog` logs and
 * audits all of them, the metrics count some.
 */
export interface TpEvents {
  /** A task file was read and waits in the queue; `waitingFor` lists unfinished dependencies. (worker) */
  'task.queued': TaskEventBase & { priority: string; waitingFor: string[] };
  /** A task file could not be read or validated and was moved to failed/ (intake). */
  'task.invalid': TaskEventBase & { error: string; line?: number };
  /** The worker claimed a task; `attempt` counts runs of this task, retries included. (worker) */
  'task.claimed': TaskEventBase & { attempt: number };
  /** A stage of the pipeline began; `elapsedMs` since the claim. (run context) */
  'task.stage': TaskEventBase & { stage: PipelineStage; elapsedMs: number };
  /** The agent began one attempt with one model. (agent stage) */
  'attempt.started': TaskEventBase & { attemptNumber: number; model: string; agent: string };
  /** A chunk of the agent's output, for live views; logged at debug only. (agent stage) */
  'attempt.output': TaskEventBase & { attemptNumber: number; chunk: string };
  /** One attempt with one model failed; the chain may go on with the next one. (composition root) */
  'attempt.failed': TaskEventBase & {
    attemptNumber: number;
    model: string;
    code: ErrorCode;
    retryable: boolean;
    error: string;
    durationMs: number;
  };
  /** An attempt produced a change. (agent stage) */
  'attempt.succeeded': TaskEventBase & { attemptNumber: number; model: string; durationMs: number };
  /** The change is pushed and the task is in review; `prUrl`/`prNumber` are undefined with `git.createPR: false`. */
  'task.published': TaskEventBase & {
    branch: string;
    prUrl: string | undefined;
    prNumber: number | undefined;
    elapsedMs: number;
  };
  /**
   * The PR was opened with the `needs-attention` label (`codeReview.onCritical: hold` with
   * counted findings open): a person must look before it may merge. (finalize stage)
   */
  'task.needs_attention': TaskEventBase & {
    prUrl: string | undefined;
    prNumber: number | undefined;
    reason: string;
  };
  /** The task was moved to failed/ with an error report. (pipeline failure path) */
  'task.failed': TaskEventBase & { code: ErrorCode; error: string; retryable: boolean; elapsedMs: number };
  /** The pull request was merged (or the task completed by hand) and the task moved to completed/. */
  'task.completed': TaskEventBase & { prNumber?: number; via: 'webhook' | 'cli' | 'auto' };
  /** A task went back to the queue (recovery after a crash, retry-failed). */
  'task.requeued': TaskEventBase & { reason: string };
  /** A run found in progress at start was resumed, requeued or published. (worker) */
  'task.recovered': TaskEventBase & {
    /** `taken-over`: a BullMQ worker died mid-job and the job went back to another worker. */
    action: 'resumed' | 'requeued' | 'published' | 'taken-over';
  };
  /** Model selection chose the chain of a run; `reason` is the one-line explanation. */
  'model.selected': TaskEventBase & { strategy: string; model: string; chain: string[]; reason: string };
  /** One code review finished (each fix round reviews again). */
  'review.completed': TaskEventBase & {
    status: 'ok' | 'unavailable';
    round: number;
    model?: string;
    durationMs: number;
    promptTokens: number;
    completionTokens: number;
    /** Findings per severity (all of them, counted or not). */
    findings: Record<'critical' | 'major' | 'minor' | 'info', number>;
    /** Why the review is unavailable (status `unavailable`). */
    error?: string;
  };
  /** A lookup in the response cache of deterministic model calls. */
  'cache.lookup': { purpose: string; hit: boolean; durationMs: number };
  /** A model was preloaded on a host. */
  'model.warmed': { host: string; model: string; ok: boolean; durationMs: number; error?: string };
  /** A task waited longer than its priority's SLA and was raised one priority step. */
  'task.sla_breached': TaskEventBase & { from: string; to: string; waitedMs: number };
  /** A host's circuit breaker opened after `failures` host failures in a row: calls skip it. (router) */
  'breaker.opened': { host: string; failures: number; error: string; code: ErrorCode | undefined };
  /** An open breaker's cooldown ended: a few trial calls may go to the host. (router) */
  'breaker.half_open': { host: string };
  /** The host answered again: its breaker closed and it takes calls. (router) */
  'breaker.closed': { host: string };
  /** A health probe succeeded; `models` is the host's list when the probe reads it. (router) */
  'host.healthy': { host: string; latencyMs: number; models: string[] | undefined };
  /** A health probe failed. (router) */
  'host.unhealthy': { host: string; error: string; code: ErrorCode };
  /** A model call failed with a retryable error and is tried again after `delayMs`. (router) */
  'model.retry': {
    model: string;
    host: string | undefined;
    attempt: number;
    delayMs: number;
    code: ErrorCode;
    error: string;
  };
  /** No host can serve the model now; the call waits (up to `ollama.healthCheck.maxWaitMs`). (router) */
  'model.waiting': { model: string; reason: string };
  /** The chain moved from one model to the next after a failure. (router) */
  'model.fallback': { from: string; to: string; code: ErrorCode; error: string };
  /** A model of the chain was left out before any attempt: no healthy host has it. (router) */
  'model.skipped': { model: string; reason: string };
  /** A notification message reached its channel after `attempts` tries. (notifications) */
  'notification.sent': { channel: string; event: string; attempts: number };
  /** A notification message could not be delivered; kept as `failed` in the store. (notifications) */
  'notification.failed': { channel: string; event: string; attempts: number; error?: string };
}

/** The events of the models domain (router, breakers, health checks). */
export type ModelEventName =
  | 'breaker.opened'
  | 'breaker.half_open'
  | 'breaker.closed'
  | 'host.healthy'
  | 'host.unhealthy'
  | 'model.retry'
  | 'model.waiting'
  | 'model.fallback'
  | 'model.skipped';

/** An event as one object with its name in `type`, the form the models domain emits. */
export type TaggedEvent<K extends TpEventName = TpEventName> = {
  [N in K]: { type: N } & TpEvents[N];
}[K];

export type PipelineStage =
  | 'workspace'
  | 'agent'
  | 'verify'
  | 'review'
  | 'commit'
  | 'push'
  | 'pull-request'
  | 'finalize';

export type TpEventName = keyof TpEvents;
