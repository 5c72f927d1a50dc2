import type { ForgeEvent } from '../forges/types.js';
import { type CompletionDeps, completeTask, rejectTask } from './completion.js';

export interface ForgeEventResult {
  status: 'accepted' | 'ignored';
  message?: string;
}

export interface ForgeEventDeps extends CompletionDeps {
  /** `webhook.mention`, e.g. `@ticket-processor`. */
  mention: string;
  /** Starts a follow-up run on the task's PR branch (in the background); false when the task is not in review. */
  startFollowUp(taskId: string, prNumber: number, instructions: string, author: string): Promise<boolean>;
}

/**
 * What a forge event means for a task: merged → completed, closed → failed as rejected, a
 * comment that mentions the bot → a follow-up run. Shared by every forge's webhook.
 */
export async function handleForgeEvent(
  deps: ForgeEventDeps,
  event: ForgeEvent,
  taskId: string | undefined,
): Promise<ForgeEventResult> {
  if (event.kind === 'ping') return { status: 'accepted', message: 'pong' };
  if (!taskId) return { status: 'ignored', message: 'no task id in the PR title or branch' };
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
  const started = await deps.startFollowUp(taskId, event.prNumber, instructions, event.author);
  return started
    ? { status: 'accepted', message: 'follow-up run started' }
    : { status: 'ignored', message: `task ${taskId} is not in review` };
}
