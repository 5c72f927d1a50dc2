import { TpError } from '../../errors/index.js';
import type { Agent } from '../types.js';
import { AiderAgent, type AiderAgentOptions } from './aider-agent.js';
import { CodexAgent, type CodexAgentOptions } from './codex-agent.js';
import { CommandAgent, type CommandAgentOptions } from './command-agent.js';
import { KiloAgent, OpenCodeAgent, type OpencodeFamilyOptions } from './opencode-family.js';

/** The `agent.type` values this folder implements (`builtin` lives elsewhere). */
export type CliAgentType = 'command' | 'kilo' | 'opencode' | 'codex' | 'aider';

/** Options for any CLI agent: the union of what each one reads. `command` is required for `command`. */
export type CliAgentOptions = Partial<Omit<CommandAgentOptions, 'env'>> &
  Omit<OpencodeFamilyOptions, 'env'> &
  Omit<CodexAgentOptions, 'env'> &
  Omit<AiderAgentOptions, 'env'> & { env: Record<string, string | undefined> };

/**
 * Builds the agent for `agent.type`. The composition root maps config to options:
 * `agent.command` → `command`, `process.env` → `env`.
 */
export function createCliAgent(type: CliAgentType, options: CliAgentOptions): Agent {
  switch (type) {
    case 'command':
      if (!options.command?.trim()) {
        throw new TpError('agent.type "command" needs agent.command', {
          code: 'CONFIG_INVALID',
          details: { path: 'agent.command' },
          hint: 'Set agent.command to a shell template, e.g. "aider --message-file {promptFile}".',
        });
      }
      return new CommandAgent({ ...options, command: options.command });
    case 'kilo':
      return new KiloAgent(options);
    case 'opencode':
      return new OpenCodeAgent(options);
    case 'codex':
      return new CodexAgent(options);
    case 'aider':
      return new AiderAgent(options);
    default: {
      const never: never = type;
      throw new TypeError(`unknown CLI agent type: ${String(never)}`);
    }
  }
}

export function isCliAgentType(type: string): type is CliAgentType {
  return ['command', 'kilo', 'opencode', 'codex', 'aider'].includes(type);
}
