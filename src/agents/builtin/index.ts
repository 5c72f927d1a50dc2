export { BuiltinAgent, type BuiltinAgentOptions } from './agent.js';
export type {
  ChatOptions,
  ChatPort,
  ChatReply,
  ChatRequest,
  ModelInfo,
  ToolCallOut,
  ToolSpec,
} from './chat-port.js';
export { type BuiltContext, buildContext, type ContextOptions, type MapDetail } from './context.js';
export { chooseMode, planWindow } from './conversation.js';
export { applyEdits, type Edit, planEdits } from './edits.js';
export {
  type ModelClientPortOptions,
  modelClientChatPort,
  modelClientPortFactory,
} from './model-client-port.js';
export { type AgentMode, renderTask, systemPrompt } from './prompt.js';
export { estimateTokens, extractSymbols, RepoIndex, type RepoIndexOptions } from './repo-index.js';
export { isAllowed, parseAllowList, splitWords } from './run-command.js';
export { Sandbox, SandboxError } from './sandbox.js';
export { parseTextReply, TEXT_FORMAT_HELP } from './text-format.js';
export { type ToolName, toolSpecs } from './tools/index.js';
