/** Where a task's run stands. The task file's folder is what users see; this is what we remember. */
export type RunState = 'queued' | 'running' | 'published' | 'review' | 'failed' | 'completed';

export interface RunRecord {
  taskId: string;
  file: string;
  format: 'folders' | 'backlog';
  state: RunState;
  stage: string | undefined;
  branch: string | undefined;
  commitSha: string | undefined;
  prNumber: number | undefined;
  prUrl: string | undefined;
  modelUsed: string | undefined;
  attempts: number;
  retryCount: number;
  error: string | undefined;
  updatedAt: string;
}

export interface AttemptRecord {
  taskId: string;
  attemptNumber: number;
  model: string;
  host?: string | undefined;
  startedAt: string;
  durationMs?: number | undefined;
  code?: string | undefined;
  error?: string | undefined;
  errorType?: 'transient' | 'permanent' | undefined;
  outputTail?: string | undefined;
}

export interface PullRequestRecord {
  number: number;
  repo: string;
  head: string;
  base: string;
  title: string;
  body: string;
  labels: string[];
  state: 'open' | 'closed' | 'merged';
  taskId: string | undefined;
  createdAt: string;
  mergedAt: string | undefined;
}

/** Persistence seam. SQLite is the embedded default. */
export interface Store {
  getRun(taskId: string): RunRecord | undefined;
  /** The run that recorded pull request `prNumber` (the latest, should two have). */
  findRunByPullRequest(prNumber: number): RunRecord | undefined;
  listRuns(state?: RunState): RunRecord[];
  upsertRun(run: Partial<RunRecord> & Pick<RunRecord, 'taskId'>): RunRecord;
  addAttempt(a: AttemptRecord): void;
  listAttempts(taskId: string): AttemptRecord[];
  createPullRequest(
    pr: Omit<PullRequestRecord, 'number' | 'createdAt' | 'state' | 'mergedAt'>,
  ): PullRequestRecord;
  getPullRequest(num: number): PullRequestRecord | undefined;
  findOpenPullRequest(repo: string, head: string): PullRequestRecord | undefined;
  listPullRequests(): PullRequestRecord[];
  setPullRequestState(num: number, state: PullRequestRecord['state']): void;
  addComment(prNumber: number, body: string): void;
  listComments(prNumber: number): string[];
  markDelivery(id: string): boolean;
  /** Forgets a delivery whose handling failed, so the forge's retry is processed. */
  forgetDelivery(id: string): void;
  /** Records a one-time notice under `key`; false when it was recorded before (do not send it again). */
  markNotice(key: string): boolean;
  audit(name: string, taskId: string | undefined, payload: unknown): void;
  close(): void;
}
