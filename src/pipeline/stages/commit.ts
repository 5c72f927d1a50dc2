import { canonicalModel } from '../../models/index.js';
import type { ModelListEntry } from '../../models/types.js';
import { packageVersion } from '../../stats/index.js';
import type { RunContext } from '../run-context.js';
import { renderTemplate } from '../template.js';
import { scoreModel } from './agent.js';

/** Trailer naming the program and the model (with its digest) that wrote a commit. */
export const GENERATED_BY_TRAILER = 'Generated-by';

/** How long the commit waits for a host's model list (the digest is optional). */
const DIGEST_TIMEOUT_MS = 2_000;

/**
 * A model name fit for a trailer value: it comes from the task file or the model chain
 * (untrusted), so anything beyond a model name's usual characters, newlines above all, is
 * replaced, and `@` is kept for the digest separator only.
 */
export function trailerModelName(model: string): string {
  return model.replace(/[^\w.:/+-]/g, '_').slice(0, 120) || 'unknown';
}

/** The `Generated-by` value: `ticket-processor <version>; model=<name>[@<digest>]`. */
export function generatedBy(version: string, model: string | undefined, digest: string | undefined): string {
  const name = trailerModelName(model ?? 'unknown');
  const safeDigest = digest?.replace(/[^\w:]/g, '').slice(0, 80);
  return `ticket-processor ${version.replace(/[^\w.+-]/g, '')}; model=${name}${safeDigest ? `@${safeDigest}` : ''}`;
}

/** What the commit stage needs of the router: its hosts' clients (warm-up uses the same). */
interface HostClients {
  hostClients(): Array<{
    url: string;
    available: boolean;
    client: { list(s?: AbortSignal): Promise<ModelListEntry[]> };
  }>;
}

const hasHostClients = (x: unknown): x is HostClients =>
  typeof (x as Partial<HostClients> | undefined)?.hostClients === 'function';

/**
 * The model's digest from `/api/tags` of the host that ran it (else any available host), when
 * the runner is the router; undefined when unknown. Never fails the commit.
 */
async function modelDigest(ctx: RunContext): Promise<string | undefined> {
  const { runner } = ctx.deps;
  if (!ctx.model || !hasHostClients(runner)) return undefined;
  const want = canonicalModel(ctx.model);
  const hosts = runner.hostClients().filter((h) => h.available);
  hosts.sort((a, b) => Number(b.url === ctx.host) - Number(a.url === ctx.host));
  for (const h of hosts) {
    try {
      const models = await h.client.list(AbortSignal.timeout(DIGEST_TIMEOUT_MS));
      const digest = models.find((m) => m.name === want)?.digest;
      if (digest) return digest;
    } catch {
      // The digest is a nicety: an unreachable host leaves it out.
    }
  }
  return undefined;
}

/**
 * Commits the staged change (the last diff staged everything) with the task and
 * `Generated-by` trailers, and records the sha: a task run that dies after this point resumes
 * at the PR, not at the agent. The audit row `task.committed` says which model wrote it.
 */
export async function commit(ctx: RunContext): Promise<void> {
  ctx.enter('commit');
  // The agent, its checks and the review are done: what is left (commit, push, PR) is git and
  // forge I/O, so the next task may start meanwhile, and its push may join this one's.
  scoreModel(ctx);
  ctx.releaseSlot?.();
  const { config, workspace, store } = ctx.deps;
  const { task } = ctx;
  let message = renderTemplate(config.git.commitMessageFormat, { id: task.id, title: task.title });
  if (ctx.followUp) {
    message += ` (follow-up: ${ctx.followUp.text.split('\n')[0]?.slice(0, 60) ?? ''})`;
  }
  const digest = await modelDigest(ctx);
  ctx.commitSha = await workspace.commit(ctx.wt!, message, task.id, {
    staged: true,
    trailers: [[GENERATED_BY_TRAILER, generatedBy(packageVersion(), ctx.model, digest)]],
  });
  store.upsertRun({ taskId: task.id, commitSha: ctx.commitSha, modelUsed: ctx.model });
  // A worker records the sha in its job before pushing: a worker killed after this point leaves
  // the next one enough to skip to the PR (push.ts, alreadyPushed).
  if (ctx.kind !== 'follow-up')
    await ctx.deps.checkpoint?.({ taskId: task.id, commitSha: ctx.commitSha, modelUsed: ctx.model });
  store.audit('task.committed', task.id, {
    taskId: task.id,
    branch: ctx.wt!.branch,
    commitSha: ctx.commitSha,
    model: ctx.model,
    ...(digest ? { digest } : {}),
    host: ctx.host,
    kind: ctx.kind,
  });
}
