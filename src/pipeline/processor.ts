import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AgentResult } from '../agents/types.js';
import { classify, TpError } from '../errors/index.js';
import type { PipelineStage } from '../events/index.js';
import type { FailureAttempt } from '../intake/types.js';
import { modelChain, stripProvider } from '../models/index.js';
import { scanDiff } from '../review/index.js';
import type { Task } from '../tasks/types.js';
import type { PreparedWorktree } from '../workspace/index.js';
import { completeTask } from './completion.js';
import { failureFiles } from './failure.js';
import { buildPrBody } from './pr-body.js';
import { buildPrompt } from './prompt.js';
import { branchName, renderTemplate } from './template.js';
import type { PipelineDeps } from './types.js';
import { runVerify, type VerifyResult, verifyFeedback } from './verify.js';

export type ProcessOutcome =
  | { status: 'review'; prUrl: string; prNumber: number; branch: string }
  | { status: 'failed'; code: string; retryable: boolean };

/**
 * Runs one claimed task through every stage: worktree → agent (with model fallback) →
 * change check → commit → push → pull request → review. Each stage records progress in the
 * store, so a run cut short by a crash resumes without a second commit or PR.
 */
export class TaskProcessor {
  constructor(private readonly deps: PipelineDeps) {}

  private repoReady: Promise<void> | undefined;

  /** Checks (or creates, with forge.createRepo) the forge repository once per process; retried after a failure. */
  private ensureRepo(): Promise<void> {
    this.repoReady ??= this.deps.forge.ensureRepo().catch((err: unknown) => {
      this.repoReady = undefined;
      throw err;
    });
    return this.repoReady;
  }

  /** Fails the task when the change adds something that looks like a secret: it must not reach a remote. */
  private secretScan(diff: string): void {
    const findings = scanDiff(diff, {
      known: this.deps.secrets,
      allow: this.deps.config.security.allowPatterns,
    });
    if (findings.length === 0) return;
    const where = findings.slice(0, 5).map((f) => `${f.file}:${f.line} (${f.rule})`);
    throw new TpError(
      `The change adds what looks like a secret: ${where.join(', ')}${findings.length > 5 ? ', …' : ''}.`,
      {
        code: 'SECRET_DETECTED',
        retryable: false,
        hint: 'Nothing was committed or pushed. Make the ticket ask for configuration from the environment; for a false positive add a pattern to security.allowPatterns.',
      },
    );
  }

  /** Start-up: clears worktrees left behind by a process that died mid-task. */
  async sweepWorkspaces(): Promise<void> {
    const n = await this.deps.workspace.sweepOrphans();
    if (n > 0) this.deps.logger.info({ removed: n }, 'removed orphaned worktrees');
  }

  async process(file: string, task: Task, signal: AbortSignal): Promise<ProcessOutcome> {
    const { store, events, config } = this.deps;
    const started = Date.now();
    const base = { taskId: task.id, file: path.basename(file) };
    const prev = store.getRun(task.id);
    const branch = branchName(config.git.branchNameFormat, { id: task.id, title: task.title });
    store.upsertRun({
      taskId: task.id,
      file: path.basename(file),
      format: task.format,
      state: 'running',
      branch,
      attempts: (prev?.attempts ?? 0) + 1,
    });
    let stage: PipelineStage = 'workspace';
    const enter = (s: PipelineStage) => {
      stage = s;
      store.upsertRun({ taskId: task.id, stage: s });
      events.emit('task.stage', { ...base, stage: s, elapsedMs: Date.now() - started });
    };
    // Assigned inside the try: a forge that cannot be reached must fail the task, not escape it.
    let remote = '';
    let attempts: FailureAttempt[] = [];
    let model: string | undefined;
    let agentResult: AgentResult | undefined;
    let wt: PreparedWorktree | undefined;
    let verify: VerifyResult[] | undefined;
    try {
      await this.ensureRepo();
      remote = await this.deps.remoteFor(task);
      const auth = this.deps.forge.pushAuth();
      const baseBranch = task.baseBranch ?? config.repository.baseBranch;
      const pushed =
        prev?.commitSha && (await this.deps.workspace.remoteHead(remote, branch, auth)) === prev.commitSha;
      if (!pushed) {
        enter('workspace');
        wt = await this.deps.workspace.prepare(remote, baseBranch, branch, auth);
        enter('agent');
        const outcome = await this.runAgent(task, file, wt, signal);
        attempts = outcome.attempts;
        model = outcome.modelUsed;
        agentResult = outcome.result.result;
        let diff = outcome.result.diff;
        if (config.verify.commands.length > 0) {
          const at = {
            model,
            host: outcome.result.host,
            attemptNumber: outcome.result.attemptNumber,
            signal,
          };
          const v = await this.verifyLoop(task, file, wt, at, enter);
          verify = v.results;
          agentResult = v.last ?? agentResult;
          // Follow-up rounds and the checks themselves may have changed files: stage and diff again.
          diff = await this.deps.workspace.diff(wt);
        }
        if (config.security.secretScan) {
          enter('review');
          this.secretScan(diff);
        }
        enter('commit');
        const message = renderTemplate(config.git.commitMessageFormat, { id: task.id, title: task.title });
        // Everything is staged: by the last diff above.
        const sha = await this.deps.workspace.commit(wt, message, task.id, { staged: true });
        store.upsertRun({ taskId: task.id, commitSha: sha, modelUsed: model });
        enter('push');
        await this.deps.workspace.push(remote, wt, auth);
      } else {
        model = prev?.modelUsed;
      }
      enter('pull-request');
      const prTitle = renderTemplate(config.git.prTitle, { id: task.id, title: task.title });
      const body = buildPrBody(config.git.prBody, {
        task,
        model: model ?? 'unknown',
        attempts,
        agent: agentResult,
        elapsedMs: Date.now() - started,
        secrets: this.deps.secrets,
        ...(verify ? { verify } : {}),
      });
      const pr =
        (await this.deps.forge.findPullRequest(branch, remote)) ??
        (await this.deps.forge.openPullRequest({
          title: prTitle,
          body,
          head: branch,
          base: baseBranch,
          labels: task.labels,
          taskId: task.id,
          remote,
        }));
      store.upsertRun({ taskId: task.id, prNumber: pr.number, prUrl: pr.url, state: 'published' });
      enter('finalize');
      await this.deps.source.toReview(file, {
        branch,
        prUrl: pr.url,
        prNumber: pr.number,
        model: model ?? '',
        summary: agentResult?.summary ?? '',
      });
      store.upsertRun({ taskId: task.id, state: 'review', error: undefined });
      events.emit('task.published', {
        ...base,
        branch,
        prUrl: pr.url,
        prNumber: pr.number,
        elapsedMs: Date.now() - started,
      });
      if (wt) await this.deps.workspace.cleanup(remote, wt).catch(() => undefined);
      // Auto-merge only on evidence: configured checks that all passed. No checks, no auto-merge.
      if (config.webhook.autoMergePR && verify && verify.length > 0 && verify.every((v) => v.ok)) {
        await this.autoMerge(task.id, pr.number, pr.url);
      }
      return { status: 'review', prUrl: pr.url, prNumber: pr.number, branch };
    } catch (raw) {
      const error = classify(raw).withTask(task.id);
      const detailAttempts = (error.details.attempts as FailureAttempt[] | undefined) ?? attempts;
      const outputTail = (error.details.outputTail as string | undefined) ?? agentResult?.outputTail;
      const run = store.getRun(task.id);
      const { report, log } = failureFiles({
        taskId: task.id,
        filename: path.basename(file),
        error,
        stage,
        model: model ?? detailAttempts.at(-1)?.model,
        retryCount: run?.retryCount ?? 0,
        attempts: detailAttempts,
        outputTail,
        secrets: this.deps.secrets,
      });
      for (const a of detailAttempts) {
        store.addAttempt({ taskId: task.id, startedAt: new Date().toISOString(), ...a });
      }
      await this.deps.source.toFailed(file, report, log);
      store.upsertRun({ taskId: task.id, state: 'failed', error: report.error });
      events.emit('task.failed', {
        ...base,
        code: error.code,
        error: report.error,
        retryable: error.retryable,
        elapsedMs: Date.now() - started,
      });
      if (wt) await this.deps.workspace.cleanup(remote, wt).catch(() => undefined);
      return { status: 'failed', code: error.code, retryable: error.retryable };
    }
  }

  private async autoMerge(taskId: string, prNumber: number, prUrl: string): Promise<void> {
    try {
      await this.deps.forge.merge(prNumber);
      const { source, store, events, secrets } = this.deps;
      await completeTask({ source, store, events, secrets }, taskId, { prNumber, prUrl, via: 'auto' });
    } catch (err) {
      // The PR stays open for a person: a failed auto-merge is not a failed task.
      this.deps.logger.warn(
        { taskId, prNumber, err: classify(err).message },
        'auto-merge failed; left for review',
      );
    }
  }

  /** Writes the prompt file and runs the agent once (first run, a verify round or a PR-comment follow-up). */
  async callAgent(
    task: Task,
    file: string,
    wt: PreparedWorktree,
    at: { model: string; host: string; attemptNumber: number; signal: AbortSignal },
    followUp?: string,
  ): Promise<AgentResult> {
    const { config, agent, events } = this.deps;
    const prompt = buildPrompt(task, followUp);
    await mkdir(this.deps.promptDir, { recursive: true });
    const promptFile = path.join(this.deps.promptDir, `task-${task.id}.md`);
    await writeFile(promptFile, prompt);
    return agent.run({
      task,
      workdir: wt.dir,
      model: stripProvider(at.model),
      ollamaHost: at.host,
      taskFile: path.resolve(file),
      promptFile,
      prompt,
      ...(followUp ? { followUp } : {}),
      budget: {
        timeoutMs: config.agent.timeoutMs ?? config.ollama.timeout,
        maxIterations: config.agent.maxIterations,
        maxTokens: config.agent.maxTokens,
      },
      signal: at.signal,
      onOutput: (chunk) =>
        events.emit('attempt.output', { taskId: task.id, attemptNumber: at.attemptNumber, chunk }),
    });
  }

  /**
   * Runs `verify.commands`; while they fail, sends their output back to the agent, up to
   * `verify.maxRounds` times. Returns the last results (they go into the PR body either way).
   */
  private async verifyLoop(
    task: Task,
    file: string,
    wt: PreparedWorktree,
    at: { model: string; host: string; attemptNumber: number; signal: AbortSignal },
    enter: (s: PipelineStage) => void,
  ): Promise<{ results: VerifyResult[]; rounds: number; last: AgentResult | undefined }> {
    const { config } = this.deps;
    const check = () =>
      runVerify({
        commands: config.verify.commands,
        cwd: wt.dir,
        env: this.deps.env,
        timeoutMs: config.agent.timeoutMs ?? config.ollama.timeout,
        signal: at.signal,
        secrets: this.deps.secrets,
      });
    enter('verify');
    let results = await check();
    let rounds = 0;
    let last: AgentResult | undefined;
    while (results.some((r) => !r.ok) && rounds < config.verify.maxRounds) {
      rounds++;
      enter('agent');
      last = await this.callAgent(task, file, wt, at, verifyFeedback(results));
      enter('verify');
      results = await check();
    }
    return { results, rounds, last };
  }

  private async runAgent(task: Task, file: string, wt: PreparedWorktree, signal: AbortSignal) {
    const { config, agent, events, workspace } = this.deps;
    const chain = modelChain(task, config.ollama);
    let first = true;
    return this.deps.runner.run(
      chain,
      async ({ model, host, attemptNumber, signal: attemptSignal }) => {
        // A fallback starts from a clean tree: nothing a failed attempt wrote survives.
        if (!first) await workspace.reset(wt);
        first = false;
        const started = Date.now();
        events.emit('attempt.started', { taskId: task.id, attemptNumber, model, agent: agent.name });
        const result = await this.callAgent(task, file, wt, {
          model,
          host,
          attemptNumber,
          signal: attemptSignal,
        });
        // Staging and diffing here both detects "no change" and feeds the secret scan later.
        const diff = await workspace.diff(wt);
        if (diff.trim() === '') {
          throw new TpError(
            `Agent made no changes (${result.stopReason}: ${result.summary || 'no summary'}).`,
            {
              code: result.stopReason === 'budget' ? 'AGENT_BUDGET' : 'AGENT_NO_CHANGES',
              retryable: false,
              details: { outputTail: result.outputTail },
            },
          );
        }
        events.emit('attempt.succeeded', {
          taskId: task.id,
          attemptNumber,
          model,
          durationMs: Date.now() - started,
        });
        return { result, host, attemptNumber, diff };
      },
      { taskId: task.id, signal },
    );
  }
}
