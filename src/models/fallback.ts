import type { ErrorCode, FailureAttempt } from '../errors/index.js';
import type { Task } from '../tasks/types.js';
import { canonicalModel, stripProvider } from './names.js';
import type { ModelEvent } from './types.js';

/** A model of the chain left out before any attempt: no healthy host with a known list has it. */
export interface SkippedModel {
  /** Model as given in the chain (prefix stripped). */
  model: string;
  /** One line for the log: which hosts were asked and what they have. */
  reason: string;
}

/** `model.skipped`: the router left a model out of the chain (no attempt is recorded for it). */
export type ModelSkippedEvent = { type: 'model.skipped' } & SkippedModel;

/** Every event the router emits: the models domain's events plus the chain's own. */
export type RouterEvent = ModelEvent | ModelSkippedEvent;

/** The `ollama` configuration fields that decide the model order. */
export interface ModelChainOptions {
  defaultModel?: string;
  fallbackModels: readonly string[];
  availableModels: readonly string[];
}

/**
 * Models to try for a task, in order: the task's `model` (or `defaultModel` when it names
 * none), its `suggestedModels`, `ollama.fallbackModels`, then `ollama.availableModels`.
 * Provider prefixes are stripped and spellings of one model (`x`, `x:latest`, `ollama/x`)
 * appear once, at their first position.
 */
export function modelChain(
  task: Pick<Task, 'model' | 'suggestedModels'>,
  options: ModelChainOptions,
): string[] {
  const first = task.model ?? options.defaultModel;
  const ordered = [
    ...(first ? [first] : []),
    ...task.suggestedModels,
    ...options.fallbackModels,
    ...options.availableModels,
  ];
  const seen = new Set<string>();
  const chain: string[] = [];
  for (const raw of ordered) {
    if (!raw?.trim()) continue;
    const key = canonicalModel(raw);
    if (seen.has(key)) continue;
    seen.add(key);
    chain.push(stripProvider(raw));
  }
  return chain;
}

/** One call to a model (a host request or a wait that ended without a host). */
export interface ModelAttempt {
  /** Model as tried (prefix stripped). */
  model: string;
  /** Host URL (no credentials); undefined when no host could be used. */
  host: string | undefined;
  /** 1-based, across the whole fallback chain. */
  attemptNumber: number;
  startedAt: string;
  durationMs: number;
  ok: boolean;
  error?: string;
  code?: ErrorCode;
  errorType?: 'transient' | 'permanent';
}

export interface FallbackResult<T> {
  result: T;
  /** Model that produced `result` (prefix stripped). */
  modelUsed: string;
  hostUsed: string;
  attempts: ModelAttempt[];
}

/** A failed attempt, as `failed/<file>.error.json` records it (the errors domain owns the shape). */
export type FailedModelAttempt = FailureAttempt;

/** The failed entries of an attempt list, in the error.json shape. */
export function failedAttempts(attempts: readonly ModelAttempt[]): FailedModelAttempt[] {
  return attempts
    .filter((a) => !a.ok)
    .map((a) => ({
      attemptNumber: a.attemptNumber,
      model: a.model,
      host: a.host,
      error: a.error ?? 'unknown error',
      code: a.code ?? 'INTERNAL',
      errorType: a.errorType ?? 'permanent',
      durationMs: a.durationMs,
    }));
}
