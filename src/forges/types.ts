export interface PullRequest {
  number: number;
  url: string;
  title: string;
  head: string;
  base: string;
  state: 'open' | 'closed' | 'merged';
}

export interface OpenPullRequestInput {
  title: string;
  body: string;
  head: string;
  base: string;
  labels: string[];
  taskId: string;
  /** The repository the branch was pushed to (the local forge keeps PRs per repository). */
  remote?: string;
}

/** How `git push` authenticates against this forge; applied per command, never stored in .git/config. */
export interface PushAuth {
  /** Extra `http.extraHeader` value, e.g. `Authorization: token …`. */
  header?: string;
}

/** Where a forge event points: which task, and what happened to its PR. */
export type ForgeEvent =
  | { kind: 'pr.merged'; prNumber: number; title: string; branch: string; url?: string }
  | { kind: 'pr.closed'; prNumber: number; title: string; branch: string; comment?: string }
  | { kind: 'pr.comment'; prNumber: number; title: string; branch: string; body: string; author: string }
  | { kind: 'ping' };

/** A code host that receives branches and pull requests. */
export interface Forge {
  readonly type: string;
  /** Remote URL to push to (credentials never embedded). */
  remoteUrl(): Promise<string>;
  pushAuth(): PushAuth | undefined;
  /** Makes sure the repository exists (creating it when configured to). */
  ensureRepo(): Promise<void>;
  /** The open PR whose head is `head`, if any: lets a restarted run reuse it instead of opening a second. */
  findPullRequest(head: string, remote?: string): Promise<PullRequest | undefined>;
  openPullRequest(input: OpenPullRequestInput): Promise<PullRequest>;
  comment(prNumber: number, body: string): Promise<void>;
  merge(prNumber: number): Promise<PullRequest>;
}
