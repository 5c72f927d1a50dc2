import type { Forge, ForgeEvent, ForgeEventResult, PullRequestComment } from '../forges/types.js';
import type { Store } from '../store/index.js';
import { type CompletionDeps, completeTask, rejectTask } from './completion.js';

export interface ForgeEventDeps extends CompletionDeps {
  /** `webhook.mention`, e.g. `@ticket-processor`. */
  mention: string;
  /** Asked whether an event's repository is ours and whether a commenter may start runs. */
  forge: Pick<Forge, 'commenterCanTrigger' | 'isOwnRepository' | 'comment'>;
  /** `webhook.allowedCommenters`: empty lets every writer start runs; else only these writers. */
  allowedCommenters?: readonly string[];
  /** Starts a follow-up run on the task's PR branch (in the background); false when the task is not in review. */
  startFollowUp(taskId: string, prNumber: number, instructions: string, author: string): Promise<boolean>;
}

/** The one reply a commenter without the right to start runs gets per pull request; it never quotes them. */
export const NOT_ALLOWED_REPLY =
  'ticket-processor: thanks for the comment. Follow-up runs can only be started by maintainers with write access to this repository (and, where the service limits it further, by the reviewers it is configured to accept), so nothing was run. A maintainer can repeat the request if it should be done.';

type Match = { taskId: string } | { ignored: string };

/**
 * Which task an event is about. The pull request number a run recorded decides; the task id
 * in the title or branch (`hint`) counts only for a task whose run recorded no pull request,
 * because anyone who can open a pull request can also title it "[Task 2]".
 */
export function matchTask(
  store: Store,
  prNumber: number,
  hint: string | undefined,
  repository?: string,
): Match {
  const owner = store.findRunByPullRequest(prNumber, repository);
  if (owner) return { taskId: owner.taskId };
  if (!hint) return { ignored: 'no task id in the PR title or branch' };
  const recorded = store.getRun(hint)?.prNumber;
  if (recorded !== undefined) {
    return { ignored: `PR #${prNumber} is not the pull request of task ${hint} (that is #${recorded})` };
  }
  return { taskId: hint };
}

/**
 * What a forge event means for a task: merged → completed, closed → failed as rejected, a
 * comment that mentions the bot → a follow-up run, if its author may start one. Shared by
 * every forge's webhook. `hint` is the task id the PR's title or branch names.
 *
 * @throws TpError when the forge cannot say whether a commenter may start runs: the caller
 *   answers the webhook with an error (503 when retryable) so the forge delivers it again.
 */
export async function handleForgeEvent(
  deps: ForgeEventDeps,
  event: ForgeEvent,
  hint: string | undefined,
): Promise<ForgeEventResult> {
  if (event.kind === 'ping') return { status: 'accepted', message: 'pong' };
  // An org- or system-wide webhook signs events of every repository with the same secret.
  if (event.repository !== undefined && !deps.forge.isOwnRepository(event.repository)) {
    return { status: 'ignored', message: 'event for another repository than the configured one' };
  }
  const match = matchTask(deps.store, event.prNumber, hint, event.repository);
  if ('ignored' in match) return { status: 'ignored', message: match.ignored };
  const { taskId } = match;
  if (event.kind === 'pr.merged') {
    const file = await completeTask(deps, taskId, {
      prNumber: event.prNumber,
      prUrl: event.url,
      via: 'webhook',
    });
    return file ? { status: 'accepted' } : { status: 'ignored', message: `task ${taskId} is not in review` };
  }
  if (event.kind === 'pr.closed') {
    const file = await rejectTask(deps, taskId, { prNumber: event.prNumber, comment: event.comment });
    return file ? { status: 'accepted' } : { status: 'ignored', message: `task ${taskId} is not in review` };
  }
  const body = event.body.trim();
  const mention = deps.mention.toLowerCase();
  // Our own replies start with "ticket-processor:", never with the mention, so they cannot loop.
  if (!mention || !body.toLowerCase().startsWith(mention))
    return { status: 'ignored', message: 'comment does not mention the bot' };
  const instructions = body.slice(deps.mention.length).trim();
  if (!instructions) return { status: 'ignored', message: 'mention without instructions' };
  if (!(await commenterMayTrigger(deps, event))) {
    await replyOnce(deps, event);
    return { status: 'ignored', message: 'commenter may not start follow-up runs' };
  }
  const started = await deps.startFollowUp(taskId, event.prNumber, instructions, event.author);
  return started
    ? { status: 'accepted', message: 'follow-up run started' }
    : { status: 'ignored', message: `task ${taskId} is not in review` };
}

/** The allow-list first (no forge call for users it excludes), then the forge's own answer. */
async function commenterMayTrigger(deps: ForgeEventDeps, event: PullRequestComment): Promise<boolean> {
  const author = event.author.trim().toLowerCase();
  if (!author) return false;
  const allowed = deps.allowedCommenters ?? [];
  if (allowed.length > 0 && !allowed.some((a) => a.trim().toLowerCase() === author)) return false;
  return deps.forge.commenterCanTrigger(event);
}

/**
 * One polite reply per pull request and user, remembered in the store so a flood of
 * comments gets one answer. The key is taken before the reply is sent: at most one reply,
 * and none when the forge refuses it.
 */
async function replyOnce(deps: ForgeEventDeps, event: PullRequestComment): Promise<void> {
  const key = `not-allowed-reply:${event.prNumber}:${event.author.trim().toLowerCase()}`;
  if (!deps.store.markNotice(key)) return;
  await deps.forge.comment(event.prNumber, NOT_ALLOWED_REPLY, event.repository).catch(() => undefined);
}
