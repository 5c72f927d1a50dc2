/**
 * Every failure that can reach a user is a `TpError`: a stable `code`, whether a retry may
 * help (`retryable`), and a `hint` that names the fix. Classification of foreign errors
 * (git, HTTP, Ollama, child processes) happens in one place: `classify()`.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'TASK_INVALID'
  /** A task file whose id belongs to another task file or run. */
  | 'TASK_DUPLICATE_ID'
  /** A task's `repo:` outside `repository.allowed`. */
  | 'TASK_REPO_NOT_ALLOWED'
  /** A task's `baseBranch:` outside `repository.allowedBaseBranches`. */
  | 'TASK_BASE_NOT_ALLOWED'
  | 'AGENT_FAILED'
  | 'AGENT_TIMEOUT'
  | 'AGENT_NO_CHANGES'
  | 'AGENT_NOT_FOUND'
  | 'AGENT_BUDGET'
  /** The change touches `.git`, `.gitmodules`, hook folders or `.gitattributes` drivers. */
  | 'AGENT_PROTECTED_PATH'
  | 'SECRET_DETECTED'
  /** `codeReview.blockOnCritical`: the code review left a critical finding open; nothing was pushed. */
  | 'REVIEW_BLOCKED'
  | 'GIT_FAILED'
  /** `git.signCommits`: the commit could not be signed (no usable gpg key for `git.userEmail`). */
  | 'GIT_SIGN_FAILED'
  | 'PUSH_FAILED'
  | 'FORGE_AUTH'
  | 'FORGE_NOT_FOUND'
  | 'FORGE_CONFLICT'
  | 'FORGE_BAD_REQUEST'
  | 'FORGE_UNAVAILABLE'
  | 'MODEL_NOT_FOUND'
  | 'MODEL_UNAVAILABLE'
  | 'MODEL_BAD_REQUEST'
  | 'MODEL_AUTH'
  | 'NETWORK'
  | 'TIMEOUT'
  | 'RATE_LIMITED'
  | 'SERVER_ERROR'
  | 'CIRCUIT_OPEN'
  | 'STREAM_CUT'
  | 'ABORTED'
  | 'REJECTED'
  | 'INTERNAL';

const marker = Symbol.for('ticket-processor.error');

/**
 * One failed attempt (a model on a host), as `failed/<file>.error.json` and the store record it.
 * Defined here, beside `TpErrorDetails.attempts`, because the models domain writes it into errors
 * and the pipeline and intake read it back: both depend on errors, never on each other.
 */
export interface FailureAttempt {
  /** 1-based, across the whole fallback chain. */
  attemptNumber: number;
  /** Model as tried (provider prefix stripped). */
  model: string;
  /** Host URL without credentials; undefined when no host could be used. */
  host?: string | undefined;
  error: string;
  code: ErrorCode;
  errorType: 'transient' | 'permanent';
  durationMs: number;
}

/** An open code review finding, as error.json lists it when the review blocked the run. */
export interface FailureFinding {
  severity: string;
  category: string;
  file: string;
  line?: number | undefined;
  message: string;
  suggestion?: string | undefined;
}

/**
 * Machine-readable detail of a failure. The fields read across domains are typed here, so
 * readers need no casts; anything else (paths, hosts, phases) stays free-form.
 */
export interface TpErrorDetails {
  /** HTTP status of the upstream answer. */
  status?: number;
  /** Server's wait hint (Retry-After, rate-limit reset); retries stretch to it. */
  retryAfterMs?: number;
  /** Last lines of the agent's output, for error.json and the log. */
  outputTail?: string;
  /** Exit code of a child process; null when a signal ended it. */
  exitCode?: number | null;
  /** Every failed attempt of a model fallback chain, oldest first. */
  attempts?: FailureAttempt[];
  /** `REVIEW_BLOCKED`: the open findings that blocked the run. */
  findings?: readonly FailureFinding[];
  [key: string]: unknown;
}

export interface TpErrorOptions {
  code: ErrorCode;
  retryable?: boolean;
  /** What the user should do next, in one sentence. */
  hint?: string;
  /** The task this failure belongs to, when known. */
  taskId?: string;
  cause?: unknown;
  /** Extra machine-readable detail (HTTP status, exit code, …). */
  details?: TpErrorDetails;
}

export class TpError extends Error {
  readonly [marker] = true;
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly hint: string | undefined;
  readonly taskId: string | undefined;
  readonly details: TpErrorDetails;

  constructor(message: string, options: TpErrorOptions) {
    super(message, { cause: options.cause });
    this.name = 'TpError';
    this.code = options.code;
    this.retryable = options.retryable ?? false;
    this.hint = options.hint;
    this.taskId = options.taskId;
    this.details = options.details ?? {};
  }

  /** Cross-realm check: works for errors created by another copy of this module. */
  static isInstance(value: unknown): value is TpError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }

  /** `transient` or `permanent`, the classification the original tool's error.json uses. */
  get errorType(): 'transient' | 'permanent' {
    return this.retryable ? 'transient' : 'permanent';
  }

  withTask(taskId: string): TpError {
    if (this.taskId === taskId) return this;
    const copy = new TpError(this.message, {
      code: this.code,
      retryable: this.retryable,
      hint: this.hint,
      taskId,
      cause: this.cause,
      details: this.details,
    });
    copy.stack = this.stack;
    return copy;
  }
}
