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
  'task.published': TaskEventBase & { branch: string; prUrl: string; prNumber: number; elapsedMs: number };
  'task.failed': TaskEventBase & { code: string; error: string; retryable: boolean; elapsedMs: number };
  'task.completed': TaskEventBase & { prNumber?: number; via: 'webhook' | 'cli' | 'auto' };
  'task.requeued': TaskEventBase & { reason: string };
  'task.recovered': TaskEventBase & { action: 'resumed' | 'requeued' | 'published' };
  'worker.idle': Record<string, never>;
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
