import type { Config } from '../config/index.js';
import type { Logger } from '../observability/index.js';
import type { ProcessSandbox } from '../sandbox/index.js';
import { BuiltinAgent, modelClientPortFactory } from './builtin/index.js';
import { createCliAgent } from './cli/index.js';
import type { Agent } from './types.js';

/** First token may wait for a model to load from disk; after that, silence means a stuck stream. */
const FIRST_TOKEN_MS = 120_000;
const IDLE_MS = 60_000;

/**
 * Builds the configured agent. `env` is the service's environment: every child gets only its
 * allow-listed part plus `agent.env` names. `sandbox` (from `createProjectSandbox`) confines CLI
 * agents and the built-in agent's `run_command`.
 */
export function createAgent(
  config: Config,
  env: Record<string, string | undefined>,
  logger: Logger | undefined,
  sandbox: ProcessSandbox,
): Agent {
  const { agent, ollama } = config;
  if (agent.type === 'builtin') {
    return new BuiltinAgent({
      // Through the models domain's client: first-token, idle and total timeouts on every request.
      port: modelClientPortFactory({
        timeouts: {
          firstTokenMs: Math.min(FIRST_TOKEN_MS, ollama.timeout),
          idleMs: Math.min(IDLE_MS, ollama.timeout),
          totalMs: ollama.timeout,
        },
        keepAlive: ollama.keepAlive,
      }),
      contextTokens: agent.contextTokens,
      maxIterations: agent.maxIterations,
      maxTokens: agent.maxTokens,
      allowCommands: agent.allowCommands,
      keepAlive: ollama.keepAlive,
      env,
      envNames: agent.env,
      sandbox,
      ...(ollama.numCtx ? { numCtx: ollama.numCtx } : {}),
      ...(logger
        ? { log: (msg: string, data?: Record<string, unknown>) => logger.info(data ?? {}, msg) }
        : {}),
    });
  }
  return createCliAgent(agent.type, {
    env,
    envNames: agent.env,
    sandbox,
    ...(agent.command ? { command: agent.command } : {}),
  });
}
