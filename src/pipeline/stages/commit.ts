import type { RunContext } from '../run-context.js';
import { renderTemplate } from '../template.js';

/**
 * Commits the staged change (the last diff staged everything) with the task trailer, and
 * records the sha: a task run that dies after this point resumes at the PR, not at the agent.
 */
export async function commit(ctx: RunContext): Promise<void> {
  ctx.enter('commit');
  const { config, workspace, store } = ctx.deps;
  const { task } = ctx;
  let message = renderTemplate(config.git.commitMessageFormat, { id: task.id, title: task.title });
  if (ctx.followUp) {
    message += ` (follow-up: ${ctx.followUp.text.split('\n')[0]?.slice(0, 60) ?? ''})`;
  }
  ctx.commitSha = await workspace.commit(ctx.wt!, message, task.id, { staged: true });
  store.upsertRun({ taskId: task.id, commitSha: ctx.commitSha, modelUsed: ctx.model });
}
