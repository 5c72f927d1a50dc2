import type { Config } from '../config/index.js';
import type { Logger } from '../observability/index.js';
import { BuiltinAgent } from './builtin/index.js';
import { createCliAgent } from './cli/index.js';
import type { Agent } from './types.js';

/** Builds the configured agent. `env` is the base environment of child processes. */
export function createAgent(config: Config, env: Record<string, string | undefined>, logger?: Logger): Agent {
  const { agent, ollama } = config;
  if (agent.type === 'builtin') {
    return new BuiltinAgent({
      contextTokens: agent.contextTokens,
      maxIterations: agent.maxIterations,
      maxTokens: agent.maxTokens,
      allowCommands: agent.allowCommands,
      keepAlive: ollama.keepAlive,
      env,
      ...(ollama.numCtx ? { numCtx: ollama.numCtx } : {}),
      ...(logger
        ? { log: (msg: string, data?: Record<string, unknown>) => logger.info(data ?? {}, msg) }
        : {}),
    });
  }
  return createCliAgent(agent.type, { env, ...(agent.command ? { command: agent.command } : {}) });
}
