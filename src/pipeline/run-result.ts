import { type ErrorCode, TpError, type TpErrorDetails } from '../errors/index.js';
import type { PipelineStage } from '../events/index.js';
import type { FailureAttempt } from '../intake/types.js';
import type { PrRequest } from './stages/pull-request.js';

/**
 * How a run ended, as plain JSON: what settling it (moving the task file, the PR of the local
 * forge, the events, auto-merge) needs. The same value whether the run happened in this process
 * (memory backend) or on a worker that returned it through BullMQ.
 */
export type RunResult = PushedRun | FailedRun;

interface RunResultBase {
  taskId: string;
  branch: string;
  /** The repository pushed to ('' when the run failed before the target was known). */
  remote: string;
  /** The model whose change it is (or the last one tried). */
  model: string | undefined;
  host: string | undefined;
  /** Epoch ms when the run started (elapsed times of events). */
  startedAt: number;
  /** Milliseconds per stage (benches, the job's result). */
  stageMs: Partial<Record<PipelineStage, number>>;
}

export interface PushedRun extends RunResultBase {
  status: 'pushed';
  commitSha: string | undefined;
  /** The PR, when the run opened it (every forge but the local one seen from a worker). */
  pr: { number: number; url: string } | undefined;
  /** The PR to open, when the settling side opens it (the local forge behind a worker). */
  prRequest: PrRequest | undefined;
  autoMergeBlockers: string[];
  /** The code review holds the PR (`codeReview.onCritical: hold`). */
  needsAttention: boolean;
  /** The agent's summary (the task file's review note). */
  summary: string;
}

export interface FailedRun extends RunResultBase {
  status: 'failed';
  stage: PipelineStage;
  error: SerializedError;
  attempts: FailureAttempt[];
  outputTail: string | undefined;
}

/** A `TpError` as JSON; `details` keeps only JSON-safe fields. */
export interface SerializedError {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  hint: string | undefined;
  details: TpErrorDetails;
}

/** `TpError` → JSON (the cause chain is dropped: it is in the worker's log). */
export function serializeError(e: TpError): SerializedError {
  const details = JSON.parse(JSON.stringify(e.details ?? {})) as TpErrorDetails;
  return { code: e.code, message: e.message, retryable: e.retryable, hint: e.hint, details };
}

/** JSON → `TpError`, for the one failure path. */
export function deserializeError(e: SerializedError, taskId: string): TpError {
  return new TpError(e.message, {
    code: e.code,
    retryable: e.retryable,
    ...(e.hint ? { hint: e.hint } : {}),
    taskId,
    details: e.details,
  });
}
