import { classify } from '../errors/index.js';
import { modelChain } from '../models/index.js';
import type { Task } from '../tasks/types.js';
import { redact } from '../workspace/git.js';
import type { TaskProcessor } from './processor.js';
import { renderTemplate } from './template.js';
import type { PipelineDeps } from './types.js';

export interface FollowUpRequest {
  task: Task;
  file: string;
  prNumber: number;
  branch: string;
  /** The comment text after the mention: the reviewer's instructions. */
  instructions: string;
  author: string;
}

/**
 * A reviewer's "@ticket-processor fix the tests" on a task's PR: the agent runs again on the
 * PR branch with the comment as instructions, the change is pushed to the same branch, and a
 * reply comment says what happened. The task stays in review whatever the outcome.
 */
export async function runFollowUp(
  deps: PipelineDeps,
  processor: TaskProcessor,
  req: FollowUpRequest,
  signal: AbortSignal,
): Promise<string> {
  const { workspace, forge, config, events } = deps;
  const { task } = req;
  const remote = await deps.remoteFor(task);
  const auth = forge.pushAuth();
  let reply: string;
  const wt = await workspace.prepareExisting(remote, req.branch, auth);
  try {
    const chain = modelChain(task, config.ollama);
    const outcome = await deps.runner.run(
      chain,
      async (at) => {
        await workspace.reset(wt);
        events.emit('attempt.started', {
          taskId: task.id,
          attemptNumber: at.attemptNumber,
          model: at.model,
          agent: deps.agent.name,
        });
        const instructions = `Review comment by ${req.author} on pull request #${req.prNumber}:\n${req.instructions}`;
        return processor.callAgent(task, req.file, wt, at, instructions);
      },
      { taskId: task.id, signal },
    );
    const changed = await workspace.changes(wt);
    if (changed.length === 0) {
      reply = `ticket-processor: no change made for this comment (${outcome.result.stopReason}). ${outcome.result.summary}`;
    } else {
      const first = req.instructions.split('\n')[0]?.slice(0, 60) ?? '';
      const message = `${renderTemplate(config.git.commitMessageFormat, { id: task.id, title: task.title })} (follow-up: ${first})`;
      const sha = await workspace.commit(wt, message, task.id);
      await workspace.push(remote, wt, auth);
      deps.store.upsertRun({ taskId: task.id, commitSha: sha });
      reply = `ticket-processor: pushed ${sha.slice(0, 10)} to \`${req.branch}\` with ${outcome.modelUsed} (${changed.length} file(s)). ${outcome.result.summary}`;
    }
  } catch (err) {
    const e = classify(err);
    reply = `ticket-processor: the follow-up run failed: ${e.message}${e.hint ? `\n\n${e.hint}` : ''}`;
  } finally {
    await workspace.cleanup(remote, wt).catch(() => undefined);
  }
  const safe = redact(reply, deps.secrets);
  await forge.comment(req.prNumber, safe);
  return safe;
}
