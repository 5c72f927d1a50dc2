export type {
  ChatMessage,
  ChatOptions,
  ChatPort,
  ChatReply,
  ChatRequest,
  ModelInfo,
  ToolCallOut,
  ToolSpec,
} from './chat-port.js';
export { normaliseModelName } from './chat-port.js';
export { applyEdits, type Edit, planEdits } from './edits.js';
export { ollamaChatPort } from './ollama-port.js';
export { Sandbox, SandboxError } from './sandbox.js';
export { parseTextReply, TEXT_FORMAT_HELP } from './text-format.js';
