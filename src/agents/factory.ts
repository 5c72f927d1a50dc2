import type { Config } from '../config/index.js';
import { TpError } from '../errors/index.js';
import { CommandAgent } from './cli/index.js';
import type { Agent } from './types.js';

/** Builds the configured agent. `env` is the child processes' base environment. */
export function createAgent(config: Config, env: Record<string, string | undefined>): Agent {
  const { agent } = config;
  switch (agent.type) {
    case 'command':
      if (!agent.command) {
        throw new TpError('agent.type is "command" but agent.command is not set.', {
          code: 'CONFIG_INVALID',
          hint: 'Set agent.command to a shell command run in the task worktree, e.g. "aider --message-file {promptFile} --yes-always".',
        });
      }
      return new CommandAgent({ command: agent.command, env });
    default:
      throw new TpError(`agent.type "${agent.type}" cannot be constructed yet.`, { code: 'CONFIG_INVALID' });
  }
}
