export { agentEnv, CommandAgent, type CommandAgentOptions } from './command-agent.js';
export { lastLine, type OutcomeContext, processFailure, tailOf } from './outcome.js';
export { OutputTail } from './output-tail.js';
export {
  type OutputStream,
  type ProcessResult,
  type RunProcessOptions,
  runProcess,
} from './process-runner.js';
export { renderCommandTemplate, shellQuote, type TemplateVars } from './shell-template.js';
export { looksTransient } from './transient.js';
