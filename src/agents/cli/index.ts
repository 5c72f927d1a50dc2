export { AIDER_INSTALL, AiderAgent, type AiderAgentOptions } from './aider-agent.js';
export { agentConfinement, type BinaryOptions, runCliAgent, safePositional } from './cli-run.js';
export { CODEX_INSTALL, CodexAgent, type CodexAgentOptions, parseCodexEvents } from './codex-agent.js';
export { CommandAgent, type CommandAgentOptions } from './command-agent.js';
export {
  type AgentEnvOptions,
  agentEnv,
  normalizeOllamaHost,
} from './env.js';
export { type CliAgentOptions, type CliAgentType, createCliAgent, isCliAgentType } from './factory.js';
export { type AgentErrorEvent, JsonEventParser, type JsonEventSummary } from './json-events.js';
export {
  headlessEnv,
  KILO_FLAVOR,
  KiloAgent,
  OPENCODE_FLAVOR,
  OpenCodeAgent,
  OpencodeFamilyAgent,
  type OpencodeFamilyOptions,
  type OpencodeFlavor,
  providerConfig,
  runMessage,
} from './opencode-family.js';
export { lastLine, type OutcomeContext, processFailure, tailOf } from './outcome.js';
export { packageBinDirs, type ResolveBinaryOptions, resolveBinary } from './resolve-binary.js';
export { renderCommandTemplate, shellQuote, type TemplateVars } from './shell-template.js';
export { looksTransient } from './transient.js';
