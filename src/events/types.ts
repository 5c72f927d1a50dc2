/** Payloads of the typed lifecycle events. Logs, metrics, the dashboard and notifications all listen here. */
export interface TaskEventBase {
  taskId: string;
  /** File name of the task (original format) or Backlog.md file name. */
  file?: string;
}

export interface TpEvents {
  'task.discovered': TaskEventBase & { path: string };
  'task.queued': TaskEventBase & { priority: string; waitingFor: string[] };
  'task.invalid': TaskEventBase & { error: string; line?: number };
  'task.claimed': TaskEventBase & { attempt: number };
  'task.stage': TaskEventBase & { stage: PipelineStage; elapsedMs: number };
  'attempt.started': TaskEventBase & { attemptNumber: number; model: string; agent: string };
  'attempt.output': TaskEventBase & { attemptNumber: number; chunk: string };
  'attempt.failed': TaskEventBase & {
    attemptNumber: number;
    model: string;
    code: string;
    retryable: boolean;
    error: string;
    durationMs: number;
  };
  'attempt.succeeded': TaskEventBase & { attemptNumber: number; model: string; durationMs: number };
  /** The change is pushed and the task is in review; `prUrl`/`prNumber` are undefined with `git.createPR: false`. */
  'task.published': TaskEventBase & {
    branch: string;
    prUrl: string | undefined;
    prNumber: number | undefined;
    elapsedMs: number;
  };
  'task.failed': TaskEventBase & { code: string; error: string; retryable: boolean; elapsedMs: number };
  'task.completed': TaskEventBase & { prNumber?: number; via: 'webhook' | 'cli' | 'auto' };
  'task.requeued': TaskEventBase & { reason: string };
  'task.recovered': TaskEventBase & { action: 'resumed' | 'requeued' | 'published' };
  'worker.idle': Record<string, never>;
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
}

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
