import path from 'node:path';
import { type Agent, createAgent } from './agents/index.js';
import type { LoadedConfig } from './config/index.js';
import type { EventBus } from './events/index.js';
import { createForge } from './forges/factory.js';
import type { Forge } from './forges/types.js';
import type { FailureAttempt, TaskSource, TaskState } from './intake/types.js';
import {
  createResponseCache,
  failedAttempts,
  ModelRouter,
  ModelWarmUp,
  modelChain,
  queuedFirstModels,
  type ResponseCache,
  retryOptionsFrom,
  routerOptionsFrom,
} from './models/index.js';
import { DefaultModelSelector, type ModelSelector } from './models/selection/index.js';
import type { LogHub } from './observability/index.js';
import { SimpleAttemptRunner } from './pipeline/simple-runner.js';
import type { TargetResolver } from './pipeline/target.js';
import { createTargetResolver, remoteFromConfig } from './pipeline/target.js';
import type { AttemptRunner } from './pipeline/types.js';
import { CodeReviewer } from './review/index.js';
import { createProjectSandbox, type ProcessSandbox } from './sandbox/index.js';
import { redact } from './secrets/index.js';
import type { Store } from './store/index.js';
import { ensurePerTaskRepo, gitTopLevel, Workspace } from './workspace/index.js';

/** What `createRunParts` builds on. */
export interface RunPartsInput {
  /** The store the forge (local PRs), the response cache and the selector use. */
  store: Store;
  events: EventBus;
  logs: LogHub;
  secrets: string[];
  folders: Record<TaskState | 'repos', string>;
  /** Where caches and worktrees live; default `folders.repos` (a worker: its own namespace). */
  reposDir?: string | undefined;
  /** Queued tasks, for the warm-up's model list (the coordinator's; a worker has none). */
  source?: TaskSource | undefined;
  agent?: Agent | undefined;
  runner?: AttemptRunner | undefined;
}

/**
 * The parts every composition root needs, a coordinator that runs no stage itself included:
 * the confinement (checked at start), the target repository and the forge (settling opens PRs).
 */
export interface BaseParts {
  sandbox: ProcessSandbox;
  promptDir: string;
  /** Default target repository (undefined = a fresh repository per task). */
  target: string | undefined;
  forge: Forge;
  /** Cache of deterministic model calls (`performance.cache`). */
  responseCache: ResponseCache;
}

/** The parts that run stages: where a task is worked on, by which agent, through which hosts. */
export interface RunParts extends BaseParts {
  workspace: Workspace;
  targetFor: TargetResolver;
  agent: Agent;
  /** Ollama hosts, breakers and health (undefined for command agents without code review). */
  router: ModelRouter | undefined;
  warmUp: ModelWarmUp | undefined;
  runner: AttemptRunner;
  selector: ModelSelector;
  reviewer: CodeReviewer | undefined;
}

/** The base parts (see `BaseParts`); `createRunParts` builds them too when not given. */
export async function createBaseParts(loaded: LoadedConfig, input: RunPartsInput): Promise<BaseParts> {
  const { config, baseDir, env } = loaded;
  const { store, events, logs, folders } = input;
  const promptDir = path.join(input.reposDir ?? folders.repos, 'prompts');
  // Confinement of agents, run_command and verify commands. Throws CONFIG_INVALID when
  // sandbox.mode is "bwrap" and bubblewrap cannot run; warns when none is in force.
  const sandbox = createProjectSandbox(loaded, promptDir);
  if (sandbox.warning) logs.get('processor').warn({ sandbox: sandbox.mode }, sandbox.warning);
  const configured = config.repository.url ? remoteFromConfig(config.repository.url, baseDir) : undefined;
  const target = config.repository.perTaskRepo
    ? undefined
    : (configured ?? (await gitTopLevel(baseDir, env)));
  const forge = createForge({
    config,
    secrets: loaded.secrets,
    store,
    remote: target ?? folders.repos,
    author: authorOf(config),
  });
  const responseCache = createResponseCache({ store, events, ...config.performance.cache });
  return { sandbox, promptDir, target, forge, responseCache };
}

function authorOf(config: LoadedConfig['config']): { name: string; email: string } {
  return { name: config.git.userName, email: config.git.userEmail };
}

/**
 * Builds the run parts from the configuration: shared by the composition root of `start`
 * (`createApp`) and of `ticket-processor worker`, so both run stages with the same parts.
 * A bullmq coordinator builds them only for its first follow-up run, on the `base` it started with.
 */
export async function createRunParts(
  loaded: LoadedConfig,
  input: RunPartsInput,
  base?: BaseParts,
): Promise<RunParts> {
  const { config, baseDir, env } = loaded;
  const { events, logs, secrets, folders } = input;
  const { sandbox, promptDir, target, forge, responseCache } = base ?? (await createBaseParts(loaded, input));
  const configured = config.repository.url ? remoteFromConfig(config.repository.url, baseDir) : undefined;
  const author = authorOf(config);
  const gitLog = logs.get('git');
  const workspace = new Workspace({
    reposDir: input.reposDir ?? folders.repos,
    author,
    signCommits: config.git.signCommits,
    pushRetries: config.git.pushRetries,
    pushRetryDelayMs: config.git.pushRetryDelay,
    secrets,
    env,
    // info, as the original's git.log: redacted again here, though the hub scrubs every line.
    log: (l) =>
      gitLog.info(
        { args: l.args.map((a) => redact(a, secrets)), durationMs: l.durationMs, ok: l.ok },
        `git ${l.args[0]}`,
      ),
  });
  const targetFor = createTargetResolver({
    baseDir,
    // The local forge's default target may be implicit (the repository holding the project).
    configuredUrl: config.forge.type === 'local' ? target : configured,
    allowed: config.repository.allowed,
    baseBranch: config.repository.baseBranch,
    allowedBaseBranches: config.repository.allowedBaseBranches,
    forge,
    defaultRemote: async (task, baseBranch) => {
      if (config.forge.type !== 'local') return forge.remoteUrl();
      return target ?? ensurePerTaskRepo(folders.repos, task.id, baseBranch, env);
    },
    knownDefaultRemote: async () => (config.forge.type !== 'local' ? forge.remoteUrl() : target),
  });
  const agent = input.agent ?? createAgent(config, env, logs.get('processor'), sandbox);
  const onAttemptFailed = (a: FailureAttempt & { taskId: string }) =>
    events.emit('attempt.failed', {
      taskId: a.taskId,
      attemptNumber: a.attemptNumber,
      model: a.model,
      code: a.code,
      retryable: a.errorType === 'transient',
      error: a.error,
      durationMs: a.durationMs,
    });
  const retry = retryOptionsFrom(config);
  // Created after the router, which forwards breaker events to it.
  let warmUp: ModelWarmUp | undefined;
  // A command agent may not talk to Ollama at all, so it gets plain retry and fallback; every
  // other agent goes through the router (host health, breakers, waiting out outages).
  // The code review talks to Ollama whatever the agent is: it needs the router too.
  const commandOnly = config.agent.type === 'command' && !input.agent;
  const router =
    commandOnly && !config.codeReview.enabled
      ? undefined
      : new ModelRouter({
          ...routerOptionsFrom(config),
          onEvent: (e) => {
            // On the bus, the event log writes it (same message) and the metrics count it.
            events.emitTagged(e);
            warmUp?.handleEvent(e);
          },
          onAttempt: (a, taskId) => {
            const [failed] = failedAttempts([a]);
            if (failed && taskId) onAttemptFailed({ ...failed, taskId });
          },
        });
  if (router) {
    const { enabled, maxModels, keepAlive } = config.performance.warmUp;
    const warmLog = logs.get('processor');
    warmUp = new ModelWarmUp({
      enabled,
      maxModels,
      keepAlive,
      hosts: () => router.hostClients(),
      // The chain the task will run with: the selector's when there is one (deps is built below;
      // this runs only after createApp returned).
      neededModels: () =>
        input.source
          ? queuedFirstModels(
              input.source,
              (task) => selector.choose(task).chain ?? modelChain(task, config.ollama),
            )
          : Promise.resolve([]),
      defaultModel: config.ollama.defaultModel,
      onWarmed: (e) => events.emit('model.warmed', e),
      onError: (err) => warmLog.warn({ err }, 'model warm-up failed'),
    });
  }
  const runner =
    input.runner ??
    (input.agent || commandOnly ? undefined : router) ??
    new SimpleAttemptRunner({ host: config.ollama.host, retry, onAttemptFailed });
  // Without a router (command agents) `speed` and `auto` have no host health and order by timings only.
  const selector = new DefaultModelSelector({ config, store: input.store, hosts: router });
  const reviewer =
    config.codeReview.enabled && router
      ? new CodeReviewer({
          router,
          config,
          secrets,
          maxNumCtx: 32_768,
          // Reviews are deterministic (temperature 0, fixed seed): a repeat is served from the store.
          chat: (client, request) => responseCache.chat(client, request, 'review'),
        })
      : undefined;
  return {
    sandbox,
    promptDir,
    target,
    workspace,
    forge,
    targetFor,
    agent,
    router,
    warmUp,
    responseCache,
    runner,
    selector,
    reviewer,
  };
}
